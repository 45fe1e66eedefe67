#pragma once

// One command on one SSH channel: open, exec, stream stdin while collecting
// stdout and stderr, then close and read the exit status.

#include <string>

#include "reconciler/base/result.h"
#include "reconciler/transport/framing.h"
#include "reconciler/transport/ssh_session.h"

namespace reconcile::transport {

// Runs `command` on a new channel of an authenticated session, writing
// everything `feed` yields to its stdin (then EOF). Touches the host.
// A non-zero exit is not an error. Errors: kDeadlineExceeded when `deadline`
// passes, kUnavailable when the channel or connection fails, or the error of
// the input source; after any error the session is in an unknown state and
// must be aborted by the caller. `exec_sent` tells whether the command may
// have started: until then a failed run can safely be retried.
asio::awaitable<Result<Output>> run_on_channel(SshSession& session, const std::string& command,
                                               StdinFeed& feed, size_t max_output,
                                               Clock::time_point deadline, bool& exec_sent);

}  // namespace reconcile::transport
