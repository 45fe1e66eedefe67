#pragma once

// Byte streams for the age code. Encryption and decryption read from a
// Reader and write to a Writer a bounded piece at a time, so that memory
// stays constant whatever the size of the file.
//
// None of these classes is thread-safe; each is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to `size` bytes into `buffer` and returns how many were read:
  // 0 only at the end of the input. Fails with the error of the source.
  virtual Result<size_t> read(uint8_t* buffer, size_t size) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes all `size` bytes, or fails.
  virtual Status write(const uint8_t* data, size_t size) = 0;

  Status write(std::string_view text) {
    return write(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }
};

// Reads until `size` bytes have been read or the input ends; returns the
// number of bytes read (less than `size` only at the end of the input).
Result<size_t> read_full(Reader& reader, uint8_t* buffer, size_t size);

// Reads a file descriptor (not owned). Retries on EINTR; errors name `name`.
class FdReader : public Reader {
 public:
  FdReader(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
  Result<size_t> read(uint8_t* buffer, size_t size) override;

 private:
  int m_fd;
  std::string m_name;
};

// Writes to a file descriptor (not owned). Retries on EINTR and short writes.
class FdWriter : public Writer {
 public:
  FdWriter(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
  using Writer::write;
  Status write(const uint8_t* data, size_t size) override;

 private:
  int m_fd;
  std::string m_name;
};

// Reads from bytes that the caller keeps alive.
class MemoryReader : public Reader {
 public:
  explicit MemoryReader(std::span<const uint8_t> data) : m_data(data) {}
  explicit MemoryReader(std::string_view data)
      : m_data(reinterpret_cast<const uint8_t*>(data.data()), data.size()) {}
  // The bytes must outlive the reader: a temporary string would not.
  explicit MemoryReader(std::string&&) = delete;
  Result<size_t> read(uint8_t* buffer, size_t size) override;

 private:
  std::span<const uint8_t> m_data;
  size_t m_offset = 0;
};

// Collects what is written in a std::string. For ciphertext and tests only:
// plaintext goes to a SecureBufferWriter.
class StringWriter : public Writer {
 public:
  using Writer::write;
  Status write(const uint8_t* data, size_t size) override;
  const std::string& data() const { return m_data; }

 private:
  std::string m_data;
};

// Collects what is written in a SecureBuffer owned by the caller.
class SecureBufferWriter : public Writer {
 public:
  explicit SecureBufferWriter(SecureBuffer& buffer) : m_buffer(buffer) {}
  using Writer::write;
  Status write(const uint8_t* data, size_t size) override;

 private:
  SecureBuffer& m_buffer;
};

// Adds lookahead to a Reader, for line-oriented parsing (the age header and
// the ASCII armor) that must not consume what comes after the part it
// parses. The buffer is a SecureBuffer because it may hold plaintext.
class BufferedReader : public Reader {
 public:
  static constexpr size_t kDefaultCapacity = 64 * 1024;
  // Reads at least this large skip the buffer when it is empty.
  static constexpr size_t kDirectReadSize = 4096;

  explicit BufferedReader(Reader& source, size_t capacity = kDefaultCapacity);

  Result<size_t> read(uint8_t* buffer, size_t size) override;

  // Makes up to `size` bytes (at most the capacity) available without
  // consuming them. The view is shorter than `size` only at the end of the
  // input, and stays valid until the next call on this reader.
  Result<std::span<const uint8_t>> peek(size_t size);

  // Consumes and returns the next line including its '\n'. The line lacks
  // the '\n' only at the end of the input, and is empty only there. Returns
  // std::nullopt, consuming nothing, when no '\n' comes within `max_length`
  // bytes (`max_length` must not exceed the capacity). The view stays valid
  // until the next call on this reader. Fails only when the source fails.
  Result<std::optional<std::string_view>> read_line(size_t max_length);

 private:
  // Reads from the source until `size` bytes are buffered or the input ends.
  Status fill(size_t size);

  Reader& m_source;
  SecureBuffer m_buffer;
  size_t m_begin = 0;
  size_t m_end = 0;
  bool m_eof = false;
};

}  // namespace reconcile::secrets
