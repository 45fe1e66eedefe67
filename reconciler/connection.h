#pragma once

// How the controller reaches hosts: the command-line flags shared by every
// command that talks to hosts, and the transport factory built from them.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/engine.h"
#include "reconciler/options.h"

namespace reconcile {

// SSH for ordinary hosts, the local transport for `address: local`.
TransportFactory make_transport_factory(const ConnectionOptions& options);

// SSH (or local) on exactly one port: the lockout guard's fresh connections.
PortTransportFactory make_port_transport_factory(const ConnectionOptions& options);

// Engine limits derived from the flags, and the guard's reconnect factory.
EngineOptions engine_options(const ConnectionOptions& options);

}  // namespace reconcile
