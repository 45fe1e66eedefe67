#include "modules/text.h"

#include <sodium.h>

#include <cstdio>

#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string mode_text(uint32_t mode) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%03o", mode);
  return buffer;
}

}  // namespace reconcile::modules
