#include "secrets/sodium_init.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace reconcile::secrets {

void ensure_sodium_initialized() {
  static const bool initialized = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "BUG: libsodium failed to initialise\n");
      std::abort();
    }
    return true;
  }();
  (void)initialized;
}

}  // namespace reconcile::secrets
