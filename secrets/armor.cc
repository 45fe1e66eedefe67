#include "secrets/armor.h"

#include <algorithm>
#include <cstring>

#include "secrets/base64.h"

namespace reconcile::secrets {
namespace {

constexpr size_t kBytesPerLine = 48;
constexpr size_t kColumnsPerLine = 64;
constexpr size_t kMaxWhitespace = 1024;
// Longer than any valid line, so that a long run of leading whitespace can
// be measured, yet small: the armor reader needs little lookahead.
constexpr size_t kMaxLineLength = kMaxWhitespace + 8;
constexpr size_t kFlushSize = 64 * 1024;

bool is_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return is_space(c); });
}

}  // namespace

bool looks_armored(std::span<const uint8_t> start) {
  size_t i = 0;
  while (i < start.size() && is_space(start[i]))
    ++i;
  constexpr std::string_view kPrefix = "-----BEGIN";
  return start.size() - i >= kPrefix.size() &&
         std::memcmp(start.data() + i, kPrefix.data(), kPrefix.size()) == 0;
}

ArmorReader::ArmorReader(Reader& source) : m_in(source, 4096) {}

Error ArmorReader::fail(std::string message) {
  m_failed = true;
  return invalid_argument("armor line " + std::to_string(m_line_number) + ": " + message);
}

Result<std::string_view> ArmorReader::next_line() {
  ++m_line_number;
  auto read = TRY(m_in.read_line(kMaxLineLength));
  if (!read) return fail("line too long");
  std::string_view line = *read;
  if (line.empty()) return fail("unexpected end of input (no " + std::string(kArmorEnd) + ")");
  if (line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

Result<size_t> ArmorReader::read(uint8_t* buffer, size_t size) {
  if (m_failed) return invalid_argument("armor: the input was found invalid before");
  while (m_decoded_begin == m_decoded_end) {
    if (m_finished) return size_t{0};
    if (m_started) {
      TRY(read_next_line());
    } else {
      TRY(read_begin());
    }
  }
  size_t count = std::min(size, m_decoded_end - m_decoded_begin);
  std::memcpy(buffer, m_decoded + m_decoded_begin, count);
  m_decoded_begin += count;
  return count;
}

Status ArmorReader::read_begin() {
  size_t whitespace = 0;
  while (true) {
    std::string_view line = TRY(next_line());
    if (line == kArmorBegin) break;
    if (!is_blank(line)) return fail("expected " + std::string(kArmorBegin));
    whitespace += line.size() + 1;
    if (whitespace > kMaxWhitespace) return fail("too much whitespace before the armor");
  }
  m_started = true;
  return ok();
}

Status ArmorReader::read_next_line() {
  std::string_view line = TRY(next_line());
  if (line == kArmorEnd) return check_trailing();
  if (line.empty()) return fail("empty line inside the armor");
  if (line.size() > kColumnsPerLine) return fail("line longer than 64 columns");
  SecureBuffer decoded;
  if (!base64_decode(line, Base64Padding::kRequired, decoded)) {
    return fail("not canonical padded base64");
  }
  std::memcpy(m_decoded, decoded.data(), decoded.size());
  m_decoded_begin = 0;
  m_decoded_end = decoded.size();
  // Only the last line may be short, and the END line must follow it.
  if (decoded.size() < kBytesPerLine) return read_end_line();
  return ok();
}

Status ArmorReader::read_end_line() {
  std::string_view line = TRY(next_line());
  if (line != kArmorEnd) {
    --m_line_number;  // the fault is the short line before this one
    return fail("only the last line may be shorter than 64 columns");
  }
  return check_trailing();
}

Status ArmorReader::check_trailing() {
  m_finished = true;
  uint8_t rest[kMaxWhitespace];
  size_t size = TRY(read_full(m_in, rest, sizeof rest));
  if (!is_blank({reinterpret_cast<const char*>(rest), size})) {
    return fail("data after " + std::string(kArmorEnd));
  }
  if (size == sizeof rest) return fail("too much whitespace after the armor");
  return ok();
}

Status ArmorWriter::write(const uint8_t* data, size_t size) {
  if (!m_started) {
    m_lines += kArmorBegin;
    m_lines += '\n';
    m_started = true;
  }
  while (size > 0) {
    size_t count = std::min(size, kBytesPerLine - m_pending_size);
    std::memcpy(m_pending + m_pending_size, data, count);
    m_pending_size += count;
    data += count;
    size -= count;
    if (m_pending_size == kBytesPerLine) {
      m_lines += base64_encode({m_pending, m_pending_size}, Base64Padding::kRequired);
      m_lines += '\n';
      m_pending_size = 0;
      if (m_lines.size() >= kFlushSize) TRY(flush_lines());
    }
  }
  return ok();
}

Status ArmorWriter::finish() {
  TRY(write(nullptr, 0));
  if (m_pending_size > 0) {
    m_lines += base64_encode({m_pending, m_pending_size}, Base64Padding::kRequired);
    m_lines += '\n';
    m_pending_size = 0;
  }
  m_lines += kArmorEnd;
  m_lines += '\n';
  return flush_lines();
}

Status ArmorWriter::flush_lines() {
  TRY(m_out.write(m_lines));
  m_lines.clear();
  return ok();
}

}  // namespace reconcile::secrets
