#include "reconciler/transport/ssh_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace reconcile::transport {

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    std::fprintf(stderr, "BUG: SHA-256 failed\n");
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string hmac_sha1(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &length) == nullptr) {
    std::fprintf(stderr, "BUG: HMAC-SHA1 failed\n");
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string random_bytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    std::fprintf(stderr, "BUG: no random bytes from the system\n");
    std::abort();
  }
  return out;
}

}  // namespace reconcile::transport
