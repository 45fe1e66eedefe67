#pragma once

// Public key authentication on an open SshSession, with keys from files and
// from ssh-agent. Never prompts: an encrypted key file that the agent does
// not hold is reported ("key FILE is protected by a passphrase; load it into
// ssh-agent"), never asked about.

#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/ssh_session.h"

namespace reconcile::transport {

struct AuthOptions {
  // Private key files, in the order to try them.
  std::vector<std::string> key_files;
  // True when the files were named by the user (--ssh-key): then a missing,
  // unreadable or encrypted file is an error. Default files are skipped
  // with a note instead.
  bool key_files_explicit = false;
  // The agent's socket; empty: no agent.
  std::string agent_socket;
};

// Authenticates `user`. Touches the host (the SSH session) and the local key
// files and agent. Errors: kUnauthenticated listing the keys tried and why
// others were skipped; kInvalidArgument for a bad explicit key file;
// kDeadlineExceeded; kUnavailable when the connection fails.
asio::awaitable<Status> authenticate(SshSession& session, const std::string& user,
                                     const AuthOptions& options, Clock::time_point deadline);

}  // namespace reconcile::transport
