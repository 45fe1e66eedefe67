#include "secrets/hkdf.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

constexpr size_t kHashSize = crypto_auth_hmacsha256_BYTES;

// libsodium wants a valid pointer even for an empty key.
const uint8_t* non_null(std::span<const uint8_t> bytes) {
  static const uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

}  // namespace

SecureBuffer hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> message) {
  ensure_sodium_initialized();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, non_null(key), key.size());
  crypto_auth_hmacsha256_update(&state, non_null(message), message.size());
  SecureBuffer mac(kHashSize);
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

SecureBuffer hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                         std::string_view info, size_t length) {
  if (length > 255 * kHashSize) {
    std::fprintf(stderr, "BUG: HKDF-SHA256 output of %zu bytes requested\n", length);
    std::abort();
  }
  ensure_sodium_initialized();
  // Extract. HMAC pads a short key with zeros, so an empty salt is the
  // same as the RFC's string of HashLen zeros.
  SecureBuffer prk = hmac_sha256(salt, ikm);

  // Expand: T(i) = HMAC(PRK, T(i-1) | info | i).
  SecureBuffer output;
  SecureBuffer previous;
  for (uint8_t counter = 1; output.size() < length; ++counter) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
    crypto_auth_hmacsha256_update(&state, non_null({previous.data(), previous.size()}),
                                  previous.size());
    crypto_auth_hmacsha256_update(
        &state, non_null({reinterpret_cast<const uint8_t*>(info.data()), info.size()}),
        info.size());
    crypto_auth_hmacsha256_update(&state, &counter, 1);
    previous.resize(kHashSize);
    crypto_auth_hmacsha256_final(&state, previous.data());
    sodium_memzero(&state, sizeof state);
    output.append(previous.data(), std::min(kHashSize, length - output.size()));
  }
  return output;
}

}  // namespace reconcile::secrets
