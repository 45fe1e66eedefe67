#pragma once

// Base64 (RFC 4648, standard alphabet) in the two strict forms age uses:
// unpadded in the header (stanza arguments, bodies and the MAC), padded in
// the ASCII armor and in OpenSSH keys. Decoding is canonical: it rejects
// padding where none belongs (and the reverse), unused bits that are not
// zero, whitespace and any character outside the alphabet. It runs in
// constant time (libsodium), so it may decode key material.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

enum class Base64Padding { kNone, kRequired };

// Encodes `data`; never fails.
std::string base64_encode(std::span<const uint8_t> data, Base64Padding padding);

// Decodes `text` into `out` (replacing its contents). Fails with
// kInvalidArgument "invalid base64" when the text is not canonical.
Status base64_decode(std::string_view text, Base64Padding padding, SecureBuffer& out);

// The number of bytes `length` characters of unpadded base64 decode to.
constexpr size_t base64_unpadded_decoded_size(size_t length) {
  return length * 3 / 4;
}

}  // namespace reconcile::secrets
