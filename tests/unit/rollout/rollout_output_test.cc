// The rollout in the run's output: the stages and checks of a dry run, and
// what an apply changed, failed and left, as text and JSON.

#include "reconciler/rollout_output.h"

#include <doctest/doctest.h>

#include "tests/unit/rollout/rollout_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

HostReport report_for(const std::string& name, HostStatus status, bool applied,
                      const std::string& error = "") {
  HostReport report;
  report.name = name;
  report.status = status;
  report.error = error;
  report.facts.system.kernel = "6.1";
  report.facts.system.tools = {"bash", "curl"};
  if (applied) report.results = {ChangeResult{ChangeOutcome::kApplied, "", 0.1}};
  return report;
}

struct Setup {
  Fleet fleet{4};
  RolloutPlan plan;

  Setup() {
    fleet.set_extra("h1", "health:\n  - { tcp: 8080 }\n  - { timeout: 3s, retries: 1 }\n");
    fleet.set_extra("h2", "health:\n  - { tcp: 8080 }\n  - { timeout: 3s, retries: 1 }\n");
    fleet.set_extra("h3", "health:\n  - { http: \"https://127.0.0.1/\" }\n");
    const state::Repo& repo =
        fleet.load("rollout: { canary: [h1], batch: 2, max_failures: 25%, pause: 5s }\n");
    plan = plan_rollout(repo.settings.rollout, fleet.all());
  }
};

}  // namespace

TEST_CASE("dry run: the stages, the policy and each host's checks with its tool") {
  Setup setup;
  std::vector<HostReport> reports = {report_for("h1", HostStatus::kChangesPending, false),
                                     report_for("h2", HostStatus::kChangesPending, false),
                                     report_for("h3", HostStatus::kChangesPending, false),
                                     report_for("h4", HostStatus::kConverged, false)};
  std::string text = render_rollout_text(setup.plan, reports, nullptr, {});
  CHECK(text ==
        "\n"
        "Rollout: 4 hosts in 3 stages; batches of 2; stops when a canary fails or more than 1 "
        "host fails (max_failures 25%); 5s pause between stages\n"
        "  canary   h1\n"
        "  batch 1  h2, h3\n"
        "  batch 2  h4\n"
        "Health checks after apply:\n"
        "  h1, h2:\n"
        "    tcp: 127.0.0.1:8080 (bash; timeout 3s, 2 attempts 2s apart)\n"
        "  h3:\n"
        "    http: https://127.0.0.1/ (expect 2xx) (curl; timeout 10s, 4 attempts 2s apart)\n");

  nlohmann::json json = rollout_json(setup.plan, reports, nullptr);
  CHECK(json["canary"] == nlohmann::json::array({"h1"}));
  CHECK(json["batch_size"] == 2);
  CHECK(json["max_failures"] == 1);
  CHECK(json["max_failures_policy"] == "25%");
  CHECK(json["stages"].size() == 3);
  CHECK(json["stages"][1]["hosts"] == nlohmann::json::array({"h2", "h3"}));
  CHECK(json["checks"]["h1"][0]["tool"] == "bash");
  CHECK(json["checks"]["h3"][0]["check"] == "http: https://127.0.0.1/ (expect 2xx)");
  CHECK_FALSE(json.contains("stopped"));
}

TEST_CASE("a stopped apply says what changed, what failed and why, what was left") {
  Setup setup;
  RolloutResult result;
  result.reports = {report_for("h1", HostStatus::kConverged, true),
                    report_for("h2", HostStatus::kConverged, false),
                    report_for("h3", HostStatus::kFailed, true,
                               "health check failed: http: https://127.0.0.1/ (expect 2xx): 4 "
                               "attempts failed; last: curl: exit 7"),
                    report_for("h4", HostStatus::kFailed, false, "unused")};
  result.reports.pop_back();
  result.stage_of = {0, 1, 1};
  result.stages_run = 2;
  result.failures = 2;
  result.stopped = true;
  result.stop_reason = "2 hosts failed, more than max_failures (1) in batch 1";
  result.left = {"h4"};
  result.failures = 2;
  result.reports[1].status = HostStatus::kUnreachable;
  result.reports[1].error = "connection refused";
  std::string text = render_rollout_text(setup.plan, result.reports, &result, {});
  CHECK(text.find("  canary   h1 (changed)\n"
                  "  batch 1  h2 (unreachable), h3 (failed)\n"
                  "  batch 2  h4 (left)\n") != std::string::npos);
  CHECK(text.find("Rollout stopped: 2 hosts failed, more than max_failures (1) in batch 1\n"
                  "Changed: h1, h3\n"
                  "Failed:\n"
                  "  h2: connection refused\n"
                  "  h3: health check failed: http: https://127.0.0.1/ (expect 2xx): 4 attempts "
                  "failed; last: curl: exit 7\n"
                  "Left untouched: h4\n") != std::string::npos);
  CHECK(text.find("Health checks after apply") == std::string::npos);

  nlohmann::json json = rollout_json(setup.plan, result.reports, &result);
  CHECK(json["stopped"] == true);
  CHECK(json["stop_reason"] == result.stop_reason);
  CHECK(json["changed"] == nlohmann::json::array({"h1", "h3"}));
  CHECK(json["failed"].size() == 2);
  CHECK(json["failed"][0]["status"] == "unreachable");
  CHECK(json["left"] == nlohmann::json::array({"h4"}));
  CHECK(json["stages"][2]["started"] == false);
}

TEST_CASE("without a policy or checks a run shows no rollout section") {
  Fleet fleet(3);
  const state::Repo& repo = fleet.load("");
  RolloutPlan plan = plan_rollout(repo.settings.rollout, fleet.all());
  CHECK_FALSE(rollout_worth_showing(plan));
  RolloutResult result;
  result.stages_run = 1;
  CHECK(render_rollout_text(plan, {}, nullptr, {}).empty());
  CHECK(render_rollout_text(plan, {}, &result, {}).empty());
}

TEST_CASE("host health results in the plan text and JSON") {
  HostReport report = report_for("h1", HostStatus::kFailed, true, "health check failed: x");
  report.health = {HealthResult{"tcp: 127.0.0.1:22", "bash", true, 1, "", 0.01},
                   HealthResult{"command: false", "sh", false, 2, "2 attempts failed", 2.0}};
  std::string text = render_text({report}, {false, true});
  CHECK(text.find("  health: passed  tcp: 127.0.0.1:22 (bash, 1 attempt)\n"
                  "  health: FAILED  command: false (sh, 2 attempts): 2 attempts failed\n") !=
        std::string::npos);
  nlohmann::json json = render_json({report}, "memory", "", true);
  CHECK(json["hosts"][0]["health"][1]["passed"] == false);
  CHECK(json["hosts"][0]["health"][1]["attempts"] == 2);
  CHECK(render_json({report}, "memory", "", false)["hosts"][0].contains("health") == false);
}
