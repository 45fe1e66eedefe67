#pragma once

// Secret files of a desired-state repository (secrets/NAME.age): decrypted
// into memory, encrypted from memory, written atomically. Used by the
// controller (delivery, `check --identity`) and by `secrets edit` / `rekey`.
// Plaintext exists only in SecureBuffers here.

#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/keys.h"
#include "secrets/recipients.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

// Secrets are small (tokens, keys, password hashes, config snippets): a
// bigger plaintext is refused rather than held in memory.
inline constexpr size_t kMaxSecretSize = 16 * 1024 * 1024;

// The identities in identity files (-i), in order. Errors name the file and
// never quote its content.
Result<IdentityList> read_identity_files(const std::vector<std::string>& paths);

// Decrypts a whole age file (binary or armored) into memory, verifying
// every chunk. Fails like decrypt() (age.h), and with kInvalidArgument when
// the plaintext is larger than `max_size`; nothing is returned then.
Result<SecureBuffer> decrypt_to_buffer(std::string_view ciphertext, const IdentityList& identities,
                                       size_t max_size = kMaxSecretSize);

// The age recipients for resolved recipients. Fails with kInvalidArgument
// naming the recipient whose key is not usable (an ssh-rsa key, for one).
Result<RecipientList> parse_resolved(const std::vector<ResolvedRecipient>& recipients);

// Encrypts `plaintext` to `recipients` into `path`, through a temporary file
// renamed into place (mode 0644: ciphertext is meant to be committed). On
// failure the old file, if any, is untouched.
Status write_secret_file(const std::string& path, const SecureBuffer& plaintext,
                         const RecipientList& recipients, bool armor);

// True when `bytes` starts like an armored age file.
bool looks_armored(std::string_view bytes);

}  // namespace reconcile::secrets
