#pragma once

// The seam between the daemon and the engine. The daemon decides which
// hosts run and records what happened; a HostRunner makes it happen. The
// real runner (reconciler/watch_command.cc) drives the engine over SSH; unit
// tests pass a fake. Keeping the engine behind this seam also keeps the
// daemon library independent of reconcile_core.

#include <functional>
#include <vector>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "reconciler/daemon/outcome.h"
#include "reconciler/daemon/settings.h"

namespace reconcile::daemon {

struct RunInput {
  std::vector<const state::Host*> hosts;
  // The accepted commit's tree the hosts come from: what the runner reads
  // besides the loaded model (the secrets' ciphertext).
  const state::RepoSource* source = nullptr;
  const DaemonSettings* settings = nullptr;
  // Polled before each host starts: true means start no more hosts (hosts in
  // flight finish their steps).
  std::function<bool()> stop_requested;
  // Called on the runner's calling thread as each host finishes.
  std::function<void(const HostOutcome&)> on_host_done;
};

// Runs the hosts, at most settings->connection.jobs at a time, and returns
// when every started host has finished. A host never started (stop) gets no
// on_host_done call.
using HostRunner = std::function<void(const RunInput&)>;

}  // namespace reconcile::daemon
