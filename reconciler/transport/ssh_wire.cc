#include "reconciler/transport/ssh_wire.h"

namespace reconcile::transport {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::optional<std::string_view> WireReader::bytes(size_t count) {
  if (m_offset > m_data.size() || m_data.size() - m_offset < count) {
    m_offset = m_data.size() + 1;  // failed: every later read fails too
    return std::nullopt;
  }
  std::string_view out = m_data.substr(m_offset, count);
  m_offset += count;
  return out;
}

std::optional<uint32_t> WireReader::u32() {
  auto raw = bytes(4);
  if (!raw) return std::nullopt;
  auto b = reinterpret_cast<const unsigned char*>(raw->data());
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

std::optional<uint8_t> WireReader::u8() {
  auto raw = bytes(1);
  if (!raw) return std::nullopt;
  return static_cast<uint8_t>((*raw)[0]);
}

std::optional<std::string_view> WireReader::string() {
  auto length = u32();
  if (!length) return std::nullopt;
  return bytes(*length);
}

void WireWriter::u32(uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    m_data.push_back(static_cast<char>(value >> shift));
}

void WireWriter::string(std::string_view value) {
  u32(static_cast<uint32_t>(value.size()));
  m_data.append(value);
}

void WireWriter::mpint(std::string_view magnitude) {
  while (!magnitude.empty() && magnitude[0] == '\0')
    magnitude.remove_prefix(1);
  std::string value;
  if (!magnitude.empty() && (static_cast<unsigned char>(magnitude[0]) & 0x80))
    value.push_back('\0');
  value.append(magnitude);
  string(value);
}

std::string base64_encode(std::string_view bytes, bool padded) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t left = bytes.size() - i;
  if (left > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (left == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    if (left == 2) out += kAlphabet[(v >> 6) & 63];
    if (padded) out.append(3 - left, '=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t accumulator = 0;
  int bits = 0;
  for (char c : text) {
    int value = base64_value(c);
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace reconcile::transport
