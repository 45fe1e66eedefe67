#pragma once

// A transport that tries several transports in order until one connects:
// the controller's view of a host whose sshd may still listen on its old
// port (security.ssh.port changed, the host not converged yet). The first
// candidate is the desired port; the others are tried only when the first
// cannot be reached (connection refused, timed out), never when it answered
// and refused us (host key, authentication): that is an error to report.

#include <functional>
#include <memory>
#include <vector>

#include "reconciler/transport/transport.h"

namespace reconcile::transport {

using TransportMaker = std::function<std::unique_ptr<Transport>()>;

// `candidates` must not be empty.
std::unique_ptr<Transport> make_fallback_transport(std::vector<TransportMaker> candidates);

}  // namespace reconcile::transport
