#include "secrets/secure_buffer.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace reconcile::secrets {

SecureBuffer::SecureBuffer(size_t size) {
  resize(size);
}

SecureBuffer::SecureBuffer(const void* data, size_t size) {
  append(data, size);
}

SecureBuffer::~SecureBuffer() {
  clear();
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)),
      m_size(std::exchange(other.m_size, 0)),
      m_capacity(std::exchange(other.m_capacity, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    clear();
    m_data = std::exchange(other.m_data, nullptr);
    m_size = std::exchange(other.m_size, 0);
    m_capacity = std::exchange(other.m_capacity, 0);
  }
  return *this;
}

void SecureBuffer::resize(size_t size) {
  if (size <= m_capacity) {
    if (size < m_size) sodium_memzero(m_data + size, m_size - size);
    if (size > m_size) std::memset(m_data + m_size, 0, size - m_size);
    m_size = size;
    return;
  }
  size_t capacity = m_capacity == 0 ? 64 : m_capacity;
  while (capacity < size)
    capacity *= 2;
  auto* fresh = static_cast<uint8_t*>(std::calloc(capacity, 1));
  if (fresh == nullptr) std::abort();
  if (m_size > 0) std::memcpy(fresh, m_data, m_size);
  clear();
  m_data = fresh;
  m_size = size;
  m_capacity = capacity;
}

void SecureBuffer::append(const void* data, size_t size) {
  size_t old = m_size;
  resize(m_size + size);
  if (size > 0) std::memcpy(m_data + old, data, size);
}

void SecureBuffer::clear() {
  if (m_data != nullptr) {
    sodium_memzero(m_data, m_capacity);
    std::free(m_data);
  }
  m_data = nullptr;
  m_size = 0;
  m_capacity = 0;
}

bool SecureBuffer::equals(const SecureBuffer& other) const {
  if (m_size != other.m_size) return false;
  if (m_size == 0) return true;
  return sodium_memcmp(m_data, other.m_data, m_size) == 0;
}

}  // namespace reconcile::secrets
