#include "secrets/header.h"

#include <cstring>

#include "secrets/base64.h"
#include "secrets/hkdf.h"

namespace reconcile::secrets {
namespace {

constexpr size_t kBytesPerLine = 48;
constexpr size_t kColumnsPerLine = 64;
// A single line may be long (a post-quantum share is 1,500 columns) but
// must fit the reader's lookahead.
constexpr size_t kMaxLineLength = 32 * 1024;
constexpr const char* kNotAgeFile = "not an age file (no age-encryption.org/v1 line)";

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t space = line.find(' ');
    parts.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return parts;
}

bool is_valid_argument(std::string_view argument) {
  if (argument.empty()) return false;
  for (char c : argument) {
    if (c < 33 || c > 126) return false;
  }
  return true;
}

class HeaderParser {
 public:
  explicit HeaderParser(BufferedReader& in) : m_in(in) {}

  Result<Header> parse() {
    std::string_view first = TRY(next_line());
    if (first != kVersionLine) return error(describe_bad_version(first));
    Header header;
    while (true) {
      auto peeked = TRY(m_in.peek(3));
      if (peeked.size() == 3 && std::memcmp(peeked.data(), "---", 3) == 0) {
        TRY(parse_mac_line(header));
        return header;
      }
      header.stanzas.push_back(TRY(parse_stanza()));
    }
  }

 private:
  // The next line without its '\n'; a line without one is an early end.
  Result<std::string_view> next_line() {
    ++m_line_number;
    auto read = m_in.read_line(kMaxLineLength);
    if (!read) {
      return std::move(read).error().with_context("header line " + std::to_string(m_line_number));
    }
    if (!read->has_value()) {
      return error(m_line_number == 1 ? kNotAgeFile : "line longer than 32 KiB");
    }
    std::string_view line = **read;
    m_total += line.size();
    if (m_total > kMaxHeaderSize) return error("header larger than 1 MiB");
    if (line.empty() || line.back() != '\n') {
      if (m_line_number > 1) return error("unexpected end of header");
      return error(line.empty() ? "empty file" : kNotAgeFile);
    }
    line.remove_suffix(1);
    return line;
  }

  std::string describe_bad_version(std::string_view first) {
    if (first == std::string(kVersionLine) + "\r") {
      return "header lines end in CRLF (was the file changed by a text-mode transfer?)";
    }
    if (first.starts_with("age-encryption.org/")) return "unsupported age format version";
    return kNotAgeFile;
  }

  Result<Stanza> parse_stanza() {
    std::string_view line = TRY(next_line());
    std::vector<std::string_view> parts = split_spaces(line);
    if (parts[0] != "->") return error("expected a stanza (\"-> type ...\") or the MAC line");
    if (parts.size() < 2) return error("stanza without a type");
    for (size_t i = 1; i < parts.size(); ++i) {
      if (!is_valid_argument(parts[i])) {
        return error("stanza argument " + std::to_string(i) +
                     " is empty or has a character outside 0x21..0x7E");
      }
    }
    Stanza stanza;
    stanza.type = std::string(parts[1]);
    for (size_t i = 2; i < parts.size(); ++i)
      stanza.args.emplace_back(parts[i]);

    SecureBuffer decoded;
    while (true) {
      std::string_view body_line = TRY(next_line());
      if (body_line.size() > kColumnsPerLine) return error("stanza body line over 64 columns");
      if (!base64_decode(body_line, Base64Padding::kNone, decoded)) {
        return error("stanza body line is not canonical unpadded base64");
      }
      stanza.body.insert(stanza.body.end(), decoded.data(), decoded.data() + decoded.size());
      // A stanza body always ends with a short (possibly empty) line.
      if (decoded.size() < kBytesPerLine) return stanza;
    }
  }

  Status parse_mac_line(Header& header) {
    std::string_view line = TRY(next_line());
    std::vector<std::string_view> parts = split_spaces(line);
    if (parts[0] != "---" || parts.size() != 2) {
      return error("malformed MAC line (want \"--- \" and the MAC)");
    }
    SecureBuffer mac;
    if (!base64_decode(parts[1], Base64Padding::kNone, mac) || mac.size() != header.mac.size()) {
      return error("the header MAC is not 32 bytes of canonical unpadded base64");
    }
    std::memcpy(header.mac.data(), mac.data(), mac.size());
    return ok();
  }

  Error error(std::string message) {
    return invalid_argument("header line " + std::to_string(m_line_number) + ": " + message);
  }

  BufferedReader& m_in;
  size_t m_line_number = 0;
  size_t m_total = 0;
};

}  // namespace

Result<Header> parse_header(BufferedReader& in) {
  return HeaderParser(in).parse();
}

std::string encode_header_without_mac(const Header& header) {
  std::string text(kVersionLine);
  text += '\n';
  for (const Stanza& stanza : header.stanzas) {
    text += "-> ";
    text += stanza.type;
    for (const std::string& arg : stanza.args) {
      text += ' ';
      text += arg;
    }
    text += '\n';
    std::string body = base64_encode(stanza.body, Base64Padding::kNone);
    // Full lines of 64 columns, then one shorter line, empty if need be.
    for (size_t offset = 0;; offset += kColumnsPerLine) {
      std::string_view line = std::string_view(body).substr(offset, kColumnsPerLine);
      text += line;
      text += '\n';
      if (line.size() < kColumnsPerLine) break;
    }
  }
  text += "---";
  return text;
}

std::string encode_header(const Header& header) {
  std::string text = encode_header_without_mac(header);
  text += ' ';
  text += base64_encode(header.mac, Base64Padding::kNone);
  text += '\n';
  return text;
}

std::array<uint8_t, 32> compute_header_mac(const Header& header, const SecureBuffer& file_key) {
  SecureBuffer key = hkdf_sha256({file_key.data(), file_key.size()}, {}, "header", 32);
  std::string text = encode_header_without_mac(header);
  SecureBuffer mac = hmac_sha256({key.data(), key.size()},
                                 {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  std::array<uint8_t, 32> result;
  std::memcpy(result.data(), mac.data(), result.size());
  return result;
}

}  // namespace reconcile::secrets
