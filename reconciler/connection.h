#pragma once

// How the controller reaches hosts: the command-line flags shared by every
// command that talks to hosts, and the transport factory built from them.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/engine.h"

namespace reconcile {

struct ConnectionOptions {
  std::vector<std::string> ssh_keys;  // --ssh-key, repeatable
  std::string known_hosts;            // --known-hosts
  bool accept_new_host_keys = false;  // --accept-new-host-keys
  bool no_agent = false;              // --no-agent
  int connect_timeout_seconds = 15;   // --connect-timeout
  int command_timeout_seconds = 600;  // --timeout
  int jobs = 32;                      // --jobs
};

void add_connection_options(CLI::App& command, ConnectionOptions& options);

// SSH for ordinary hosts, the local transport for `address: local`.
TransportFactory make_transport_factory(const ConnectionOptions& options);

// Engine limits derived from the flags.
EngineOptions engine_options(const ConnectionOptions& options);

}  // namespace reconcile
