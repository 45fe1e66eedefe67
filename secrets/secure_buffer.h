#pragma once

// Plaintext secrets and key material live only in SecureBuffer: it cannot be
// copied (only moved), it wipes its bytes with sodium_memzero when destroyed
// or resized, and it has no operator<< so it cannot reach a log by accident.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace reconcile::secrets {

class SecureBuffer {
 public:
  SecureBuffer() = default;
  explicit SecureBuffer(size_t size);
  SecureBuffer(const void* data, size_t size);
  ~SecureBuffer();

  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;

  uint8_t* data() { return m_data; }
  const uint8_t* data() const { return m_data; }
  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }

  // Grows or shrinks, keeping the first min(old, new) bytes; the old storage
  // is wiped before it is freed.
  void resize(size_t size);
  void append(const void* data, size_t size);
  // Wipes and empties.
  void clear();

  // A view for handing bytes to a transport; never log it.
  std::string_view view() const { return {reinterpret_cast<const char*>(m_data), m_size}; }

  // Constant-time comparison.
  bool equals(const SecureBuffer& other) const;

 private:
  uint8_t* m_data = nullptr;
  size_t m_size = 0;
  size_t m_capacity = 0;
};

}  // namespace reconcile::secrets
