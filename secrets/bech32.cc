#include "secrets/bech32.h"

namespace reconcile::secrets {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr size_t kChecksumSize = 6;

uint32_t polymod(std::span<const uint8_t> values) {
  static constexpr uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                             0x2a1462b3};
  uint32_t checksum = 1;
  for (uint8_t value : values) {
    uint32_t top = checksum >> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}
char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}

// The checksum input: the expanded (lower-case) human-readable part, then
// the 5-bit data values.
SecureBuffer checksum_input(std::string_view hrp, std::span<const uint8_t> data) {
  SecureBuffer values;
  for (char c : hrp) {
    uint8_t high = static_cast<uint8_t>(to_lower(c) >> 5);
    values.append(&high, 1);
  }
  uint8_t zero = 0;
  values.append(&zero, 1);
  for (char c : hrp) {
    uint8_t low = to_lower(c) & 31;
    values.append(&low, 1);
  }
  values.append(data.data(), data.size());
  return values;
}

// Regroups bits from `from_bits` to `to_bits` per value. Without padding,
// leftover bits must be fewer than `from_bits` and zero.
Result<SecureBuffer> convert_bits(std::span<const uint8_t> input, int from_bits, int to_bits,
                                  bool pad) {
  SecureBuffer output;
  uint32_t accumulator = 0;
  int bits = 0;
  const uint32_t max_value = (1u << to_bits) - 1;
  for (uint8_t value : input) {
    accumulator = (accumulator << from_bits) | value;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      uint8_t out = (accumulator >> bits) & max_value;
      output.append(&out, 1);
    }
  }
  if (pad) {
    if (bits > 0) {
      uint8_t out = (accumulator << (to_bits - bits)) & max_value;
      output.append(&out, 1);
    }
  } else if (bits >= from_bits || ((accumulator << (to_bits - bits)) & max_value) != 0) {
    return invalid_argument("invalid Bech32 padding");
  }
  accumulator = 0;
  return output;
}

}  // namespace

SecureBuffer bech32_encode(std::string_view hrp, std::span<const uint8_t> data, bool upper_case) {
  SecureBuffer values = MUST(convert_bits(data, 8, 5, true));
  SecureBuffer input = checksum_input(hrp, {values.data(), values.size()});
  uint8_t zeros[kChecksumSize] = {};
  input.append(zeros, kChecksumSize);
  uint32_t checksum = polymod({input.data(), input.size()}) ^ 1;

  SecureBuffer text;
  auto put = [&](char c) {
    c = upper_case ? to_upper(c) : to_lower(c);
    text.append(&c, 1);
  };
  for (char c : hrp)
    put(c);
  put('1');
  for (size_t i = 0; i < values.size(); ++i)
    put(kCharset[values.data()[i]]);
  for (size_t i = 0; i < kChecksumSize; ++i)
    put(kCharset[(checksum >> (5 * (5 - i))) & 31]);
  return text;
}

Result<Bech32Data> bech32_decode(std::string_view text) {
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    has_lower |= c >= 'a' && c <= 'z';
    has_upper |= c >= 'A' && c <= 'Z';
  }
  if (has_lower && has_upper) return invalid_argument("mixed case in Bech32 string");

  size_t separator = text.rfind('1');
  if (separator == std::string_view::npos || separator < 1 ||
      separator + 1 + kChecksumSize > text.size()) {
    return invalid_argument("Bech32 separator '1' missing or misplaced");
  }
  std::string_view hrp = text.substr(0, separator);
  for (char c : hrp) {
    if (c < 33 || c > 126) return invalid_argument("invalid character in Bech32 prefix");
  }
  SecureBuffer values;
  for (char c : text.substr(separator + 1)) {
    size_t index = kCharset.find(to_lower(c));
    if (index == std::string_view::npos) return invalid_argument("invalid Bech32 character");
    uint8_t value = static_cast<uint8_t>(index);
    values.append(&value, 1);
  }
  SecureBuffer input = checksum_input(hrp, {values.data(), values.size()});
  if (polymod({input.data(), input.size()}) != 1) return invalid_argument("bad Bech32 checksum");

  Bech32Data result;
  result.hrp = std::string(hrp);
  result.data = TRY(convert_bits({values.data(), values.size() - kChecksumSize}, 5, 8, false));
  return result;
}

}  // namespace reconcile::secrets
