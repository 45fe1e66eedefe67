#pragma once

// A key the SSH client can authenticate with: one from a private key file, or
// one held by ssh-agent. The transport asks each identity for a signature of
// the authentication request; how it is made is the identity's business.

#include <string>

#include "reconciler/base/result.h"
#include "reconciler/transport/asio.h"
#include "reconciler/transport/host_key.h"
#include "reconciler/transport/wait.h"

namespace reconcile::transport {

class Identity {
 public:
  virtual ~Identity() = default;

  virtual const PublicKey& public_key() const = 0;
  // For messages: "ED25519 SHA256:... (/root/.ssh/id_ed25519)".
  virtual std::string describe() const = 0;

  // Signs `data` with signature_algorithm(). Returns the bare signature (the
  // part after the algorithm name in an SSH signature blob), which is what
  // libssh2 wants. Never blocks the thread; the agent's reply is awaited
  // until `deadline`. Errors: kUnauthenticated when the key cannot sign,
  // kDeadlineExceeded, kUnavailable for agent trouble.
  virtual asio::awaitable<Result<std::string>> sign(std::string data,
                                                    Clock::time_point deadline) = 0;
};

// The algorithm an identity signs with: the key type, except for RSA, which
// signs with rsa-sha2-512 (OpenSSH 8.8 and later refuse SHA-1 "ssh-rsa").
std::string signature_algorithm(const PublicKey& key);

}  // namespace reconcile::transport
