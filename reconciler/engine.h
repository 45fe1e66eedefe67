#pragma once

// The engine: for each host, one probe round trip for facts, a pure diff
// into a plan, and (unless dry run) the plan's changes in phase order, then
// a second probe that must find nothing left to do, and the host's health
// checks (reconciler/health.h). Hosts run concurrently on
// one io_context, at most `jobs` at a time; a failing or unreachable host
// never stops the others.

#include <functional>
#include <memory>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/given_plan.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"
#include "reconciler/transport/transport.h"
#include "secrets/store.h"

namespace reconcile {

// Creates a transport to a host on exactly one TCP port, with no fallback:
// the lockout guard's fresh connection that proves the new settings work.
using PortTransportFactory = std::function<Result<std::unique_ptr<transport::Transport>>(
    asio::io_context&, const state::Host&, int port)>;

struct EngineOptions {
  bool dry_run = true;
  bool allow_destructive = false;
  bool probe_only = false;  // `reconcile facts`: gather facts, plan nothing
  // `reconcile apply PLAN.json`: the saved plan replaces the fresh one, or
  // refuses the host as stale (HostStatus::kStale). Unset: the fresh plan.
  GivenPlan given_plan;
  int jobs = 32;
  transport::RunOptions probe;   // limits for probe scripts
  transport::RunOptions change;  // limits for each change's script
  // The controller's decrypted secrets for the secrets module (not owned).
  const secrets::SecretStore* secrets = nullptr;
  // sshd and firewall changes run under the lockout guard
  // (reconciler/lockout_guard.h) unless this is false (--no-lockout-guard).
  bool lockout_guard = true;
  // Fresh connections for the guard. Unset: guarded changes are refused
  // while the guard is on (nothing could prove the host still answers).
  PortTransportFactory reconnect;
};

// Creates the transport for a host (SSH, local, or a fake in tests). Returns
// an error for hosts that cannot be reached by any transport configuration.
using TransportFactory = std::function<Result<std::unique_ptr<transport::Transport>>(
    asio::io_context&, const state::Host&)>;

// Runs every host; reports come back in the order of `hosts`.
std::vector<HostReport> run_hosts(const std::vector<const state::Host*>& hosts,
                                  const TransportFactory& factory, const EngineOptions& options,
                                  Progress& progress);

// One host on an existing transport (used by run_hosts and by tests).
asio::awaitable<void> run_host(const state::Host& host, transport::Transport& transport,
                               const EngineOptions& options, Progress& progress,
                               HostReport& report);

}  // namespace reconcile
