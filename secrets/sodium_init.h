#pragma once

namespace reconcile::secrets {

// Initialises libsodium once per process (thread-safe and cheap after the
// first call). Aborts when libsodium cannot start: without a working random
// source no key can be made safely.
void ensure_sodium_initialized();

}  // namespace reconcile::secrets
