// The rollout: stages from the policy (pure), the stage loop with its stop
// rules, and the glue that runs a stage on the engine. The engine's worker
// pool (run_hosts) runs each stage; --jobs still limits the hosts in flight
// within a stage.

#include "reconciler/rollout.h"

#include <algorithm>
#include <set>
#include <thread>

#include "desired-state/field_reader.h"
#include "desired-state/rollout_values.h"
#include "reconciler/base/strings.h"
#include "reconciler/exit_codes.h"

namespace reconcile {

namespace {

bool matches(const state::CanaryRef& ref, const state::Host& host) {
  if (!ref.role.empty()) {
    return std::find(host.roles.begin(), host.roles.end(), ref.role) != host.roles.end();
  }
  return host.name == ref.host;
}

Status apply_canary_flags(const state::Repo& repo, const std::vector<const state::Host*>& selected,
                          const RolloutFlags& flags, state::RolloutPolicy& policy) {
  if (flags.no_canary && !flags.canary.empty()) {
    return invalid_argument("--canary and --no-canary cannot be used together");
  }
  if (flags.no_canary) policy.canary.clear();
  if (flags.canary.empty()) return ok();
  policy.canary.clear();
  for (const auto& text : flags.canary) {
    auto ref = state::parse_canary_ref(text);
    if (!ref) return invalid_argument("--canary '" + text + "': expected a host name or role:NAME");
    std::string problem = state::check_canary_exists(*ref, repo);
    if (!problem.empty()) return invalid_argument("--canary '" + text + "': " + problem);
    bool any = std::any_of(selected.begin(), selected.end(),
                           [&](const state::Host* host) { return matches(*ref, *host); });
    if (!any) return invalid_argument("--canary '" + text + "' matches none of the selected hosts");
    policy.canary.push_back(std::move(*ref));
  }
  return ok();
}

Result<state::HostCount> count_flag(const char* flag, const std::string& text, int min) {
  auto count = state::parse_host_count(text, min);
  if (!count) {
    return invalid_argument(std::string(flag) + " '" + text + "': expected a number of hosts (" +
                            std::to_string(min) + "-100000) or a percentage (" +
                            std::to_string(min) + "%-100%)");
  }
  return *count;
}

// `percent` of `total`, rounded down.
int share(const state::HostCount& count, size_t total) {
  if (!count.percent) return count.value;
  return static_cast<int>(static_cast<size_t>(count.value) * total / 100);
}

// A Progress that forwards everything but close(): the stages of a rollout
// share one display, closed once by the command.
class StageProgress final : public Progress {
 public:
  explicit StageProgress(Progress& inner) : m_inner(inner) {}
  void step(const std::string& host, const std::string& what) override { m_inner.step(host, what); }
  void done(const std::string& host, const std::string& what) override { m_inner.done(host, what); }

 private:
  Progress& m_inner;
};

}  // namespace

Result<state::RolloutPolicy> effective_policy(const state::Repo& repo,
                                              const std::vector<const state::Host*>& selected,
                                              const RolloutFlags& flags) {
  state::RolloutPolicy policy = repo.settings.rollout;
  TRY(apply_canary_flags(repo, selected, flags, policy));
  if (!flags.batch.empty()) policy.batch = TRY(count_flag("--batch", flags.batch, 1));
  if (!flags.max_failures.empty()) {
    policy.max_failures = TRY(count_flag("--max-failures", flags.max_failures, 0));
  }
  if (!flags.pause.empty()) {
    auto seconds = state::parse_duration_seconds(flags.pause);
    if (!seconds || *seconds > 3600) {
      return invalid_argument("--pause '" + flags.pause +
                              "': expected a duration from 0s to 1h such as 10s or 2m");
    }
    policy.pause_seconds = static_cast<int>(*seconds);
  }
  return policy;
}

RolloutPlan plan_rollout(const state::RolloutPolicy& policy,
                         const std::vector<const state::Host*>& hosts) {
  RolloutPlan plan;
  plan.policy = policy;
  plan.host_count = hosts.size();
  plan.max_failures = share(policy.max_failures, hosts.size());
  RolloutStage canaries{"canary", true, {}};
  std::set<const state::Host*> taken;
  for (const auto& ref : policy.canary) {
    for (const auto* host : hosts) {
      if (matches(ref, *host) && taken.insert(host).second) canaries.hosts.push_back(host);
    }
  }
  if (!canaries.hosts.empty()) plan.stages.push_back(std::move(canaries));
  std::vector<const state::Host*> rest;
  for (const auto* host : hosts) {
    if (taken.count(host) == 0) rest.push_back(host);
  }
  size_t size = policy.batch ? static_cast<size_t>(std::max(1, share(*policy.batch, hosts.size())))
                             : std::max<size_t>(1, rest.size());
  plan.batch_size = size;
  for (size_t start = 0; start < rest.size(); start += size) {
    RolloutStage batch{"batch " + std::to_string(start / size + 1), false, {}};
    auto end = rest.begin() + static_cast<std::ptrdiff_t>(std::min(rest.size(), start + size));
    batch.hosts.assign(rest.begin() + static_cast<std::ptrdiff_t>(start), end);
    plan.stages.push_back(std::move(batch));
  }
  return plan;
}

bool counts_as_failure(const HostReport& report) {
  return report.status == HostStatus::kFailed || report.status == HostStatus::kNotConverged ||
         report.status == HostStatus::kUnreachable;
}

std::string stop_reason(const RolloutStage& stage, int stage_failures, int total_failures,
                        int max_failures) {
  if (stage.canary && stage_failures > 0) {
    return std::to_string(stage_failures) + " of " + std::to_string(stage.hosts.size()) + " canar" +
           (stage.hosts.size() == 1 ? "y" : "ies") + " failed";
  }
  if (total_failures > max_failures) {
    return std::to_string(total_failures) + " host" + (total_failures == 1 ? "" : "s") +
           " failed, more than max_failures (" + std::to_string(max_failures) + ")";
  }
  return {};
}

RolloutResult run_rollout(const RolloutPlan& plan, const StageRunner& run_stage,
                          const RolloutHooks& hooks) {
  auto note = [&](const std::string& host, const std::string& what, bool final) {
    if (hooks.note) hooks.note(host, what, final);
  };
  RolloutResult result;
  for (size_t i = 1; i < plan.stages.size(); ++i) {
    for (const auto* host : plan.stages[i].hosts)
      note(host->name, "waiting for " + plan.stages[i].name, false);
  }
  size_t next = 0;
  for (; next < plan.stages.size(); ++next) {
    const RolloutStage& stage = plan.stages[next];
    if (next > 0 && plan.policy.pause_seconds > 0 && hooks.sleep) {
      for (const auto* host : stage.hosts)
        note(host->name, "pause of " + std::to_string(plan.policy.pause_seconds) + "s", false);
      hooks.sleep(std::chrono::seconds(plan.policy.pause_seconds));
    }
    if (hooks.stop_requested && hooks.stop_requested()) {
      result.stopped = true;
      result.stop_reason = "stopped on request before " + stage.name;
      break;
    }
    std::vector<HostReport> reports = run_stage(stage.hosts);
    ++result.stages_run;
    int failures = 0;
    for (auto& report : reports) {
      if (counts_as_failure(report)) ++failures;
      result.reports.push_back(std::move(report));
      result.stage_of.push_back(next);
    }
    result.failures += failures;
    std::string reason = stop_reason(stage, failures, result.failures, plan.max_failures);
    if (!reason.empty() && next + 1 < plan.stages.size()) {
      result.stopped = true;
      result.stop_reason = reason + " in " + stage.name;
      ++next;
      break;
    }
  }
  for (size_t i = next; i < plan.stages.size(); ++i) {
    for (const auto* host : plan.stages[i].hosts) {
      result.left.push_back(host->name);
      note(host->name, "left untouched: the rollout stopped", true);
    }
  }
  return result;
}

int rollout_exit_code(const RolloutResult& result) {
  int code = exit_code_for(result.reports);
  return result.stopped ? worst_exit_code(code, kExitApplyFailed) : code;
}

StageRunner engine_stage_runner(const TransportFactory& factory, const EngineOptions& options,
                                Progress& progress) {
  auto shared = std::make_shared<StageProgress>(progress);
  return [factory, options, shared](const std::vector<const state::Host*>& hosts) {
    return run_hosts(hosts, factory, options, *shared);
  };
}

RolloutHooks progress_hooks(Progress& progress) {
  RolloutHooks hooks;
  hooks.sleep = [](std::chrono::seconds duration) { std::this_thread::sleep_for(duration); };
  hooks.note = [&progress](const std::string& host, const std::string& what, bool final) {
    if (final) {
      progress.done(host, what);
    } else {
      progress.step(host, what);
    }
  };
  return hooks;
}

}  // namespace reconcile
