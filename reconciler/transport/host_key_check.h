#pragma once

// Host key verification, always on: a key pinned in the host file must match
// exactly; otherwise the known_hosts file decides. An unknown key is refused
// (with the fingerprint to check) unless new keys are to be accepted, which
// records them; a changed key is refused, always.

#include <cstdint>
#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::transport {

struct HostKeyPolicy {
  std::string host_name;  // "web1", for messages
  std::string address;    // what we connect to; the known_hosts lookup name
  uint16_t port = 22;
  std::string pinned_key;        // an OpenSSH public key line; empty: use known_hosts
  std::string known_hosts_file;  // read, and appended to when accept_new
  bool accept_new = false;
  // Other ports of the same host (its sshd moved: security.ssh.port). A
  // known_hosts entry for the host on one of them vouches for the same key
  // on `port` when known_hosts has none for `port` itself; a key that
  // differs from it is still unknown, never accepted.
  std::vector<uint16_t> same_host_ports{};
};

// Checks `presented` against the policy. Touches only the local known_hosts
// file (reads it; appends a hashed entry for an accepted new key).
// Errors: kUnauthenticated for an unknown key ("unknown host key for web1
// (10.0.0.2:22): ED25519 key fingerprint is SHA256:...") or a changed one
// ("HOST KEY CHANGED for web1 ..."), or a revoked one; kInvalidArgument for a
// pinned key that does not parse; kFailedPrecondition when known_hosts cannot
// be read or written.
Status verify_host_key(const HostKeyPolicy& policy, const PublicKey& presented);

// The host key algorithms to offer in the key exchange, the host's known or
// pinned key types first, so that the server shows us the key we can check.
std::string host_key_methods(const HostKeyPolicy& policy);

}  // namespace reconcile::transport
