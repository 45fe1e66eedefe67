#include "secrets/io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reconcile::secrets {

Result<size_t> read_full(Reader& reader, uint8_t* buffer, size_t size) {
  size_t total = 0;
  while (total < size) {
    size_t count = TRY(reader.read(buffer + total, size - total));
    if (count == 0) break;
    total += count;
  }
  return total;
}

Result<size_t> FdReader::read(uint8_t* buffer, size_t size) {
  while (true) {
    ssize_t count = ::read(m_fd, buffer, size);
    if (count >= 0) return static_cast<size_t>(count);
    if (errno != EINTR) return system_error("reading " + m_name, errno);
  }
}

Status FdWriter::write(const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t count = ::write(m_fd, data, size);
    if (count < 0) {
      if (errno == EINTR) continue;
      return system_error("writing " + m_name, errno);
    }
    data += count;
    size -= static_cast<size_t>(count);
  }
  return ok();
}

Result<size_t> MemoryReader::read(uint8_t* buffer, size_t size) {
  size_t count = std::min(size, m_data.size() - m_offset);
  if (count > 0) std::memcpy(buffer, m_data.data() + m_offset, count);
  m_offset += count;
  return count;
}

Status StringWriter::write(const uint8_t* data, size_t size) {
  m_data.append(reinterpret_cast<const char*>(data), size);
  return ok();
}

Status SecureBufferWriter::write(const uint8_t* data, size_t size) {
  m_buffer.append(data, size);
  return ok();
}

BufferedReader::BufferedReader(Reader& source, size_t capacity)
    : m_source(source), m_buffer(capacity) {}

Status BufferedReader::fill(size_t size) {
  size = std::min(size, m_buffer.size());
  if (m_end - m_begin >= size || m_eof) return ok();
  if (m_begin + size > m_buffer.size()) {
    // Move what is left to the front so that `size` bytes fit.
    std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
    m_end -= m_begin;
    m_begin = 0;
  }
  while (m_end - m_begin < size) {
    size_t count = TRY(m_source.read(m_buffer.data() + m_end, m_buffer.size() - m_end));
    if (count == 0) {
      m_eof = true;
      break;
    }
    m_end += count;
  }
  return ok();
}

Result<size_t> BufferedReader::read(uint8_t* buffer, size_t size) {
  if (size == 0) return size_t{0};
  if (m_begin == m_end) {
    // Once the lookahead is used up, large reads (the payload's chunks)
    // go straight to the source: one copy and one system call less.
    if (m_eof) return size_t{0};
    if (size >= kDirectReadSize) return m_source.read(buffer, size);
    TRY(fill(1));
  }
  size_t count = std::min(size, m_end - m_begin);
  std::memcpy(buffer, m_buffer.data() + m_begin, count);
  m_begin += count;
  return count;
}

Result<std::span<const uint8_t>> BufferedReader::peek(size_t size) {
  TRY(fill(size));
  size_t count = std::min(size, m_end - m_begin);
  return std::span<const uint8_t>(m_buffer.data() + m_begin, count);
}

Result<std::optional<std::string_view>> BufferedReader::read_line(size_t max_length) {
  size_t scanned = 0;
  while (true) {
    const uint8_t* start = m_buffer.data() + m_begin;
    size_t available = m_end - m_begin;
    const void* newline = std::memchr(start + scanned, '\n', available - scanned);
    if (newline != nullptr) {
      size_t length = static_cast<const uint8_t*>(newline) - start + 1;
      if (length > max_length) break;
      m_begin += length;
      return std::optional(std::string_view(reinterpret_cast<const char*>(start), length));
    }
    scanned = available;
    if (available >= max_length) break;
    if (m_eof) {
      m_begin = m_end;
      return std::optional(std::string_view(reinterpret_cast<const char*>(start), available));
    }
    TRY(fill(available + 1));
  }
  return std::optional<std::string_view>();
}

}  // namespace reconcile::secrets
