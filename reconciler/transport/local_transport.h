#pragma once

// The local transport (`address: local`): runs scripts on the controller
// itself with /bin/sh, under the same contract as SSH (transport.h): the same
// command line, stdin framing, output bounds and timeouts. Each run is a new
// process in its own process group; on timeout the whole group is killed
// with SIGKILL. It runs as the controller's user (no sudo).
//
// Making one sets SIGPIPE to ignored in this process (if it was at its
// default), so that writing to a script that exited early gives EPIPE
// instead of killing the controller; the scripts themselves get the default.

#include <memory>

#include "reconciler/transport/transport.h"

namespace reconcile::transport {

std::unique_ptr<Transport> make_local_transport(asio::io_context& io);

}  // namespace reconcile::transport
