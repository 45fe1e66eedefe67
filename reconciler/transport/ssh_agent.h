#pragma once

// A client for ssh-agent (the protocol of draft-miller-ssh-agent): lists the
// agent's keys and has it sign. Asynchronous on the caller's io_context, so
// that a hung agent costs only its own deadline. RSA keys are asked for
// rsa-sha2-512 signatures (flag SSH_AGENT_RSA_SHA2_512); libssh2 1.10's own
// agent support asks for SHA-1 ones, which OpenSSH 8.8+ refuses.

#include <memory>
#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/ssh_identity.h"

namespace reconcile::transport {

// Connects to the agent at `socket_path` (normally $SSH_AUTH_SOCK) and
// returns one Identity per key it holds; the identities share the connection.
// Errors: kUnavailable when the agent cannot be reached or answers nonsense,
// kDeadlineExceeded.
asio::awaitable<Result<std::vector<std::unique_ptr<Identity>>>> agent_identities(
    std::string socket_path, Clock::time_point deadline);

}  // namespace reconcile::transport
