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
  // The loaded repository `hosts` belong to: its `rollout` policy stages
  // the run. Null: every host in one stage.
  const state::Repo* repo = nullptr;
  // Polled before each host starts: true means start no more hosts (hosts in
  // flight finish their steps).
  std::function<bool()> stop_requested;
  // Called on the runner's calling thread as each host finishes.
  std::function<void(const HostOutcome&)> on_host_done;
  // Called once, after the last host, when the rollout stopped on failures:
  // why, and the hosts left untouched (they get no on_host_done call).
  std::function<void(const std::string& reason, const std::vector<std::string>& left)>
      on_rollout_stopped;
};

// Runs the hosts stage by stage, at most settings->connection.jobs at a
// time within a stage, and returns when every started host has finished. A
// host never started (stop, or a rollout stopped on failures) gets no
// on_host_done call.
using HostRunner = std::function<void(const RunInput&)>;

}  // namespace reconcile::daemon
