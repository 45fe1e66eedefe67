#pragma once

// The few hash primitives the SSH transport needs outside libssh2, from
// OpenSSL's libcrypto (which libssh2 on Debian is built on): SHA-256 for
// fingerprints and integrity checks, HMAC-SHA1 for hashed known_hosts names,
// random bytes for the salts of new known_hosts entries.

#include <string>
#include <string_view>

namespace reconcile::transport {

std::string sha256(std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);
std::string random_bytes(size_t count);

}  // namespace reconcile::transport
