#pragma once

// The age v1 header (c2sp.org/age): the version line, the recipient
// stanzas and the MAC line. Parsing is strict, so that a header that
// parses re-encodes to exactly the bytes it came from:
//   - the first line is exactly "age-encryption.org/v1\n";
//   - a stanza line is "->" and one or more arguments separated by single
//     spaces, each argument one or more characters in 0x21..0x7E;
//   - body lines are canonical unpadded base64 of 48 bytes (64 columns),
//     and the body ends with the first shorter line (possibly empty);
//   - the last line is "--- " and the 32-byte MAC in unpadded base64;
//   - every line ends in LF (a CR is an error).
// A header is limited to 1 MiB (a real one is a few hundred bytes).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/io.h"
#include "secrets/secure_buffer.h"
#include "secrets/stanza.h"

namespace reconcile::secrets {

inline constexpr std::string_view kVersionLine = "age-encryption.org/v1";
inline constexpr size_t kMaxHeaderSize = 1024 * 1024;

struct Header {
  std::vector<Stanza> stanzas;
  std::array<uint8_t, 32> mac{};
};

// Reads a header from `in`, leaving `in` at the first byte of the payload.
// Fails with kInvalidArgument ("header line 3: ...") on any deviation from
// the grammar above, on an early end of input, and on a header over the
// size limit; a failure of `in` itself is passed on.
Result<Header> parse_header(BufferedReader& in);

// The header text that the MAC covers: everything up to and including the
// "---" of the MAC line.
std::string encode_header_without_mac(const Header& header);

// The whole header, MAC line included, ending in '\n'.
std::string encode_header(const Header& header);

// HMAC-SHA256 of encode_header_without_mac() under the key derived from the
// file key with HKDF (salt empty, info "header").
std::array<uint8_t, 32> compute_header_mac(const Header& header, const SecureBuffer& file_key);

}  // namespace reconcile::secrets
