#pragma once

// OpenSSH key formats, as far as age's ssh-ed25519 recipients need them:
// public key lines ("ssh-ed25519 AAAA… comment", as in id_ed25519.pub or
// authorized_keys without options) and unencrypted private key files
// ("-----BEGIN OPENSSH PRIVATE KEY-----", openssh-key-v1, cipher "none").
// Passphrase-protected keys and key types other than ssh-ed25519 are
// refused with a message that says so. Errors never repeat key material.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

struct SshEd25519PublicKey {
  std::vector<uint8_t> wire;      // the SSH wire encoding (string type, string key)
  std::array<uint8_t, 32> key{};  // the Ed25519 public key
};

struct SshEd25519PrivateKey {
  SshEd25519PublicKey public_key;
  SecureBuffer secret_key;  // 64 bytes: seed then public key (libsodium's layout)
};

// Parses one public key line. Fails with kInvalidArgument on another key
// type (naming it), on bad base64, or when the encoded key does not match
// the type in front of it.
Result<SshEd25519PublicKey> parse_ssh_public_key(std::string_view line);

// True when `text` starts, after whitespace, with a PEM BEGIN line: it is
// a private key file of some kind, not a list of age identities.
bool looks_like_pem_private_key(std::string_view text);

// Parses an OpenSSH private key file. Fails with kInvalidArgument when it
// is passphrase-protected, not ssh-ed25519, not the OpenSSH format (PKCS#1,
// PKCS#8) or corrupt (check numbers, padding, or a public key that does
// not belong to the private key).
Result<SshEd25519PrivateKey> parse_openssh_private_key(std::string_view text);

}  // namespace reconcile::secrets
