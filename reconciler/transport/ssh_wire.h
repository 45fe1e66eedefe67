#pragma once

// The SSH wire encoding (RFC 4251 section 5: uint32, string, mpint) and
// base64, for key blobs, known_hosts lines, key files and the agent
// protocol. Pure code; readers never read past the end of their input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reconcile::transport {

class WireReader {
 public:
  explicit WireReader(std::string_view data) : m_data(data) {}

  // Each returns nullopt when the input is too short (and then stays failed).
  std::optional<uint32_t> u32();
  std::optional<uint8_t> u8();
  std::optional<std::string_view> string();
  std::optional<std::string_view> bytes(size_t count);

  bool at_end() const { return m_offset == m_data.size(); }
  std::string_view rest() const { return m_data.substr(m_offset); }

 private:
  std::string_view m_data;
  size_t m_offset = 0;
};

class WireWriter {
 public:
  void u32(uint32_t value);
  void u8(uint8_t value) { m_data.push_back(static_cast<char>(value)); }
  void string(std::string_view value);
  // An unsigned big-endian magnitude as an mpint: leading zeros stripped, a
  // zero byte prepended when the top bit is set.
  void mpint(std::string_view magnitude);
  void raw(std::string_view value) { m_data.append(value); }

  const std::string& data() const { return m_data; }
  std::string release() { return std::move(m_data); }

 private:
  std::string m_data;
};

std::string base64_encode(std::string_view bytes, bool padded = true);
// Strict: rejects characters outside the alphabet and bad lengths; accepts
// input with or without padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace reconcile::transport
