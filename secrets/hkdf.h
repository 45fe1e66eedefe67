#pragma once

// HKDF-SHA256 (RFC 5869) on libsodium's HMAC-SHA256, which is all libsodium
// 1.0.18 offers for it. age derives every key with it.

#include <cstdint>
#include <span>
#include <string_view>

#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

// HMAC-SHA256 of `message` under `key` (any length); 32 bytes.
SecureBuffer hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> message);

// Derives `length` bytes (at most 255 * 32) from the input key material,
// the salt (empty means a string of zeros, as RFC 5869 says) and the info
// label. Aborts on a length over the limit: that is a bug of the caller.
SecureBuffer hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                         std::string_view info, size_t length);

}  // namespace reconcile::secrets
