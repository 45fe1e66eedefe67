#pragma once

// SSH host keys that the controller decides before a system first boots:
// the installer's (pinned while it runs) and the new system's (placed in
// /etc/ssh before the reboot, so the first connection to the new system is
// already verified: no trust on first use). Pure code on the controller; the
// private half lives only in a SecureBuffer.

#include <string>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

struct HostKeyPair {
  std::string public_line;            // "ssh-ed25519 AAAA... COMMENT", as in a .pub file
  secrets::SecureBuffer private_key;  // an OpenSSH private key file, unencrypted
};

// A fresh ed25519 key pair (libsodium) in OpenSSH's file formats, as
// `ssh-keygen -t ed25519 -N '' -C COMMENT` writes them. `comment` must be a
// single line. Cannot fail except on a broken libsodium (kInternal).
Result<HostKeyPair> generate_host_key(const std::string& comment);

// An existing ed25519 host key from an OpenSSH private key file on the
// controller (--host-key-file). Errors: kNotFound, kInvalidArgument for a
// file that is not an unencrypted ed25519 OpenSSH private key.
Result<HostKeyPair> load_host_key(const std::string& path);

// "ssh-ed25519 AAAA..." without the comment: what `ssh.host_key` pins.
std::string pin_of(const std::string& public_line);

}  // namespace reconcile::bootstrap
