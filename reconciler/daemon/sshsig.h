#pragma once

// SSH signatures (OpenSSH's PROTOCOL.sshsig), which git writes into a
// commit's `gpgsig` header when gpg.format=ssh. The armored blob
//
//   "SSHSIG" u32(1) string(public key) string(namespace) string(reserved)
//   string(hash algorithm) string(signature)
//
// signs, with the public key, the bytes
//
//   "SSHSIG" string(namespace) string("") string(hash algorithm)
//   string(HASH(message))
//
// so a signature made for one namespace ("file", "email") cannot be replayed
// as a commit signature ("git"). Only ssh-ed25519 keys are verified (with
// libsodium); other key types are refused with a clear reason. Pure code.

#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::daemon {

struct SshSignature {
  transport::PublicKey key;    // the key that claims to have signed
  std::string name_space;      // "git" for commits
  std::string hash_algorithm;  // "sha256" or "sha512"
  std::string signature_type;  // "ssh-ed25519"
  std::string signature;       // the raw signature bytes
};

// Parses an armored signature ("-----BEGIN SSH SIGNATURE-----" ...).
// Errors: kInvalidArgument naming what is malformed.
Result<SshSignature> parse_ssh_signature(std::string_view armored);

// Checks that `signature` signs `message` in `name_space`. This is the
// cryptography only; whether the key is trusted is AllowedSigners' job.
// Errors: kUnauthenticated with the reason (other namespace, unsupported key
// or hash, signature does not match).
Status verify_ssh_signature(const SshSignature& signature, std::string_view message,
                            std::string_view name_space);

}  // namespace reconcile::daemon
