#pragma once

// SSH public keys as OpenSSH writes them ("ssh-ed25519 AAAA... comment") and
// their fingerprints as OpenSSH prints them. Pure code.

#include <string>
#include <string_view>

#include "reconciler/base/result.h"

namespace reconcile::transport {

struct PublicKey {
  std::string type;  // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ...
  std::string blob;  // the wire-format key, whose first field is `type`

  bool operator==(const PublicKey&) const = default;
};

// A key from its wire blob. Errors: kInvalidArgument when the blob does not
// start with a key type name.
Result<PublicKey> public_key_from_blob(std::string_view blob);

// A key from an OpenSSH public key line ("TYPE BASE64 [COMMENT]"), as in
// `ssh.host_key` or a .pub file. Errors: kInvalidArgument naming what is wrong
// (unknown field count, bad base64, a type that disagrees with the blob).
Result<PublicKey> parse_public_key(std::string_view line);

// "ssh-ed25519 AAAA..." (no comment).
std::string format_public_key(const PublicKey& key);

// "SHA256:" + unpadded base64 of SHA-256 of the blob, as `ssh-keygen -l`.
std::string fingerprint_sha256(std::string_view blob);

// The short name OpenSSH prints beside a fingerprint: "ED25519", "ECDSA",
// "RSA", "DSA"; the type itself for anything else.
std::string key_type_label(std::string_view type);

}  // namespace reconcile::transport
