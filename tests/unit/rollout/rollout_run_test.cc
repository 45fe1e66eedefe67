// The stage loop with a fake stage runner: order of stages, pauses, failure
// accounting, what is left when the rollout stops, and the exit code.

#include <doctest/doctest.h>

#include <set>

#include "reconciler/rollout.h"
#include "tests/unit/rollout/rollout_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

// Answers every host with kConverged (one applied change), except the hosts
// in `failing` (kFailed) and `unreachable`; records the stages it ran.
struct FakeStages {
  std::set<std::string> failing;
  std::set<std::string> unreachable;
  std::vector<std::vector<std::string>> ran;

  StageRunner runner() {
    return [this](const std::vector<const state::Host*>& hosts) {
      std::vector<HostReport> reports;
      ran.emplace_back();
      for (const auto* host : hosts) {
        ran.back().push_back(host->name);
        HostReport report;
        report.name = host->name;
        report.status = HostStatus::kConverged;
        report.results = {ChangeResult{ChangeOutcome::kApplied, "", 0.1}};
        if (failing.count(host->name)) {
          report.status = HostStatus::kFailed;
          report.error = "health check failed: command: false: 1 attempt failed";
        }
        if (unreachable.count(host->name)) {
          report.status = HostStatus::kUnreachable;
          report.error = "connection refused";
          report.results.clear();
        }
        reports.push_back(std::move(report));
      }
      return reports;
    };
  }
};

struct Recorder {
  std::vector<int> sleeps;
  std::vector<std::string> notes;

  RolloutHooks hooks() {
    RolloutHooks hooks;
    hooks.sleep = [this](std::chrono::seconds duration) {
      sleeps.push_back(static_cast<int>(duration.count()));
    };
    hooks.note = [this](const std::string& host, const std::string& what, bool final) {
      notes.push_back(host + ": " + what + (final ? " (final)" : ""));
    };
    return hooks;
  }
};

RolloutPlan six_hosts(Fleet& fleet, const std::string& extra = "") {
  const state::Repo& repo = fleet.load("rollout:\n  canary: [h1]\n  batch: 2\n" + extra);
  return plan_rollout(repo.settings.rollout, fleet.all());
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("a good rollout runs every stage in order, pausing between stages") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet, "  pause: 10s\n");
  FakeStages stages;
  Recorder recorder;
  RolloutResult result = run_rollout(plan, stages.runner(), recorder.hooks());
  CHECK(stages.ran == std::vector<Names>{{"h1"}, {"h2", "h3"}, {"h4", "h5"}, {"h6"}});
  CHECK(recorder.sleeps == std::vector<int>{10, 10, 10});
  CHECK_FALSE(result.stopped);
  CHECK(result.left.empty());
  CHECK(result.failures == 0);
  CHECK(result.stages_run == 4);
  CHECK(result.reports.size() == 6);
  CHECK(result.stage_of == std::vector<size_t>{0, 1, 1, 2, 2, 3});
  CHECK(rollout_exit_code(result) == 0);
  // Hosts of later stages are told they wait.
  CHECK(std::count(recorder.notes.begin(), recorder.notes.end(), "h6: waiting for batch 3") == 1);
}

TEST_CASE("a failing canary stops the rollout: only the canary ran") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet, "  max_failures: 3\n");
  FakeStages stages;
  stages.failing = {"h1"};
  Recorder recorder;
  RolloutResult result = run_rollout(plan, stages.runner(), recorder.hooks());
  CHECK(stages.ran == std::vector<Names>{{"h1"}});
  CHECK(result.stopped);
  CHECK(result.stop_reason == "1 of 1 canary failed in canary");
  CHECK(result.left == Names{"h2", "h3", "h4", "h5", "h6"});
  CHECK(result.failures == 1);
  CHECK(recorder.sleeps.empty());
  CHECK(rollout_exit_code(result) == 3);
  CHECK(std::count(recorder.notes.begin(), recorder.notes.end(),
                   "h4: left untouched: the rollout stopped (final)") == 1);
}

TEST_CASE("max_failures 1 tolerates one failed host and stops at the second") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet, "  max_failures: 1\n");
  FakeStages stages;
  stages.failing = {"h3", "h5"};
  RolloutResult result = run_rollout(plan, stages.runner(), {});
  CHECK(stages.ran == std::vector<Names>{{"h1"}, {"h2", "h3"}, {"h4", "h5"}});
  CHECK(result.stopped);
  CHECK(result.stop_reason == "2 hosts failed, more than max_failures (1) in batch 2");
  CHECK(result.left == Names{"h6"});
  CHECK(result.failures == 2);
  CHECK(rollout_exit_code(result) == 3);
}

TEST_CASE("one tolerated failure: the rollout completes, the run still exits 3") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet, "  max_failures: 1\n");
  FakeStages stages;
  stages.failing = {"h6"};
  RolloutResult result = run_rollout(plan, stages.runner(), {});
  CHECK(stages.ran.size() == 4);
  CHECK_FALSE(result.stopped);
  CHECK(result.failures == 1);
  CHECK(rollout_exit_code(result) == 3);
}

TEST_CASE("failures in the last stage do not make a stop: nothing is left") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet);
  FakeStages stages;
  stages.failing = {"h6"};
  RolloutResult result = run_rollout(plan, stages.runner(), {});
  CHECK_FALSE(result.stopped);
  CHECK(result.left.empty());
  CHECK(rollout_exit_code(result) == 3);
}

TEST_CASE("unreachable hosts count as failures; the worst exit code wins") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet);
  FakeStages stages;
  stages.unreachable = {"h2"};
  RolloutResult result = run_rollout(plan, stages.runner(), {});
  CHECK(stages.ran.size() == 2);
  CHECK(result.stopped);
  CHECK(result.left == Names{"h4", "h5", "h6"});
  CHECK(rollout_exit_code(result) == 4);
}

TEST_CASE("a percentage max_failures is resolved against the run") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet, "  max_failures: 34%\n");  // 2.04 -> 2
  CHECK(plan.max_failures == 2);
  FakeStages stages;
  stages.failing = {"h2", "h4", "h6"};
  RolloutResult result = run_rollout(plan, stages.runner(), {});
  CHECK(stages.ran.size() == 4);
  CHECK_FALSE(result.stopped);
  CHECK(result.failures == 3);
}

TEST_CASE("a stop request before a stage leaves it and the rest untouched") {
  Fleet fleet(6);
  RolloutPlan plan = six_hosts(fleet);
  FakeStages stages;
  RolloutHooks hooks;
  hooks.stop_requested = [&stages] { return stages.ran.size() == 2; };
  RolloutResult result = run_rollout(plan, stages.runner(), hooks);
  CHECK(stages.ran.size() == 2);
  CHECK(result.stopped);
  CHECK(result.stop_reason == "stopped on request before batch 2");
  CHECK(result.left == Names{"h4", "h5", "h6"});
}

TEST_CASE("counts_as_failure") {
  HostReport report;
  for (auto [status, failure] :
       std::vector<std::pair<HostStatus, bool>>{{HostStatus::kConverged, false},
                                                {HostStatus::kChangesPending, false},
                                                {HostStatus::kNotConverged, true},
                                                {HostStatus::kFailed, true},
                                                {HostStatus::kUnreachable, true}}) {
    report.status = status;
    CHECK(counts_as_failure(report) == failure);
  }
}
