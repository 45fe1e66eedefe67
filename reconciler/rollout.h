#pragma once

// Rollouts: an apply goes to the hosts in stages. The canaries (hosts named
// by `rollout.canary` in reconcile.yaml, or by --canary) go first, together
// and alone; then the other hosts in batches of `batch` hosts. A stage
// starts only when the one before it has finished: every host converged and
// passed its health checks, or failed. The rollout stops after a stage when
//   - any canary failed, or
//   - the failures so far exceed `max_failures`;
// the hosts of later stages are left untouched (not even connected to).
// A host counts as failed when its apply failed, it did not converge, a
// health check did not pass, or it was unreachable.
//
// Numbers: percentages are of the hosts in the run (after --host), rounded
// down; a batch is at least one host. Without a policy every host is in one
// batch, as plain `reconcile` always did.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/base/result.h"
#include "reconciler/engine.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"

namespace reconcile {

// The command-line overrides, as typed (validated by effective_policy).
struct RolloutFlags {
  std::vector<std::string> canary;  // --canary, repeatable: HOST or role:NAME
  bool no_canary = false;           // --no-canary
  std::string batch;                // --batch N or P%
  std::string max_failures;         // --max-failures N or P%
  std::string pause;                // --pause DURATION
};

// The repository's policy with the flags applied. kInvalidArgument for a
// malformed value, or a --canary that names no host or role of `repo` or
// matches none of `selected` (a typo never silently means "no canary").
Result<state::RolloutPolicy> effective_policy(const state::Repo& repo,
                                              const std::vector<const state::Host*>& selected,
                                              const RolloutFlags& flags);

struct RolloutStage {
  std::string name;  // "canary", "batch 1", "batch 2", ...
  bool canary = false;
  std::vector<const state::Host*> hosts;
};

struct RolloutPlan {
  std::vector<RolloutStage> stages;
  state::RolloutPolicy policy;
  size_t host_count = 0;
  size_t batch_size = 0;  // resolved from policy.batch
  int max_failures = 0;   // resolved from policy.max_failures
};

// Pure: the stages for `hosts` (the run's hosts in run order). Canaries come
// in the order the policy lists them (a role's hosts by run order), each
// host once; canaries not among `hosts` are ignored. The other hosts keep
// their order and are cut into batches of batch_size.
RolloutPlan plan_rollout(const state::RolloutPolicy& policy,
                         const std::vector<const state::Host*>& hosts);

// True for the outcomes that count against max_failures.
bool counts_as_failure(const HostReport& report);

// Pure: why the rollout stops after `stage`, given the failures in it and in
// the whole rollout so far; empty when it goes on.
std::string stop_reason(const RolloutStage& stage, int stage_failures, int total_failures,
                        int max_failures);

struct RolloutResult {
  std::vector<HostReport> reports;  // the hosts that ran, stage by stage
  std::vector<size_t> stage_of;     // for each report, the index of its stage
  std::vector<std::string> left;    // hosts of stages that never started
  size_t stages_run = 0;
  int failures = 0;
  bool stopped = false;
  std::string stop_reason;
};

// Runs the hosts of one stage and returns their reports in the same order.
using StageRunner =
    std::function<std::vector<HostReport>(const std::vector<const state::Host*>& hosts)>;

struct RolloutHooks {
  // Waits out the pause between stages (the clock seam; tests record it).
  std::function<void(std::chrono::seconds)> sleep;
  // Tells the operator where a host stands ("waiting for batch 2", "left").
  std::function<void(const std::string& host, const std::string& what, bool final)> note;
  // Polled before each stage: true leaves the remaining stages untouched.
  std::function<bool()> stop_requested;
};

// Runs the stages in order through `run_stage` and applies the stop rules.
// Touches hosts only through `run_stage`.
RolloutResult run_rollout(const RolloutPlan& plan, const StageRunner& run_stage,
                          const RolloutHooks& hooks);

// The process exit code: the hosts' worst code, and at least 3 (apply
// failed) when the rollout stopped.
int rollout_exit_code(const RolloutResult& result);

// A StageRunner on the engine: run_hosts for each stage, all stages sharing
// `progress` (closed by the caller at the end, not after each stage).
StageRunner engine_stage_runner(const TransportFactory& factory, const EngineOptions& options,
                                Progress& progress);

// RolloutHooks for the command line: real sleep, notes to `progress`.
RolloutHooks progress_hooks(Progress& progress);

}  // namespace reconcile
