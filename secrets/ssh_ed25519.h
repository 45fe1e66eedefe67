#pragma once

// age's ssh-ed25519 recipients and identities: "-> ssh-ed25519 <tag>
// <share>", where the tag is the first 4 bytes of SHA-256 of the SSH wire
// public key, and the X25519 shared secret (with the Ed25519 key turned
// into its Curve25519 form) is multiplied by a tweak,
// HKDF-SHA256(ikm = empty, salt = wire key, info =
// "age-encryption.org/v1/ssh-ed25519"), before the wrap key is derived
// from it with the same info label.

#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/ssh_key.h"
#include "secrets/stanza.h"
#include "secrets/x25519.h"

namespace reconcile::secrets {

class SshEd25519Recipient : public Recipient {
 public:
  // From a public key line ("ssh-ed25519 AAAA… comment"). Fails with
  // kInvalidArgument as parse_ssh_public_key does, or when the key is not
  // a valid Ed25519 point.
  static Result<SshEd25519Recipient> parse(std::string_view line);

  Result<Stanza> wrap(const SecureBuffer& file_key) const override;

 private:
  SshEd25519Recipient() = default;

  std::vector<uint8_t> m_wire;
  X25519Key m_curve_public{};
};

class SshEd25519Identity : public Identity {
 public:
  // From an unencrypted OpenSSH private key file (see ssh_key.h).
  static Result<SshEd25519Identity> parse(std::string_view private_key_file);
  static Result<SshEd25519Identity> from_key(const SshEd25519PrivateKey& key);

  Result<std::optional<SecureBuffer>> unwrap(const Stanza& stanza) const override;

 private:
  SshEd25519Identity() = default;

  std::vector<uint8_t> m_wire;
  std::string m_tag;
  SecureBuffer m_curve_secret;
  X25519Key m_curve_public{};
};

}  // namespace reconcile::secrets
