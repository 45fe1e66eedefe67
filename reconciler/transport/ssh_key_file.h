#pragma once

// Private key files in OpenSSH's format ("-----BEGIN OPENSSH PRIVATE KEY-----",
// what ssh-keygen writes): ed25519, ecdsa (nistp256/384/521) and rsa. Signing
// is done here with libcrypto rather than by libssh2 because libssh2 1.10
// signs RSA only with SHA-1, which current OpenSSH servers refuse.
//
// An encrypted key is never decrypted (that would need a prompt): it is
// reported as such, with its public key (stored in clear in the file), so
// that the transport can look for the same key in ssh-agent.

#include <memory>
#include <string>

#include "reconciler/base/result.h"
#include "reconciler/transport/ssh_identity.h"

namespace reconcile::transport {

struct KeyFile {
  std::string path;
  PublicKey public_key;
  bool encrypted = false;
  std::unique_ptr<Identity> identity;  // null when encrypted
};

// Reads and parses a private key file. Touches only the local file system.
// Errors: kNotFound when the file does not exist; kInvalidArgument "FILE: ..."
// for a file that is not an OpenSSH private key or has an unsupported key
// type; kFailedPrecondition when it cannot be read.
Result<KeyFile> load_key_file(const std::string& path);

// Parses the text of a key file (`path` is for messages only).
Result<KeyFile> parse_key_file(std::string_view text, const std::string& path);

}  // namespace reconcile::transport
