// libFuzzer target for the key parsers: identity files (X25519 lines and
// OpenSSH private keys), recipients files and single recipients, which
// read user-supplied files before any decryption starts.

#include <cstdint>
#include <string_view>

#include "secrets/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reconcile::secrets;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_identity_file(SecureBuffer(data, size), "fuzz");
  (void)parse_recipients_file(text, "fuzz");
  (void)parse_recipient(text);
  return 0;
}
