// Rollout stages from a policy (counts, percentages, rounding, canaries by
// host and by role), the command-line overrides, and the stop rules.

#include <doctest/doctest.h>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"
#include "reconciler/rollout.h"
#include "tests/unit/rollout/rollout_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

std::vector<std::vector<std::string>> stage_names(const RolloutPlan& plan) {
  std::vector<std::vector<std::string>> out;
  for (const auto& stage : plan.stages) {
    std::vector<std::string> names;
    for (const auto* host : stage.hosts)
      names.push_back(host->name);
    out.push_back(names);
  }
  return out;
}

RolloutPlan plan_for(Fleet& fleet, const std::string& reconcile_yaml) {
  const state::Repo& repo = fleet.load(reconcile_yaml);
  return plan_rollout(repo.settings.rollout, fleet.all());
}

}  // namespace

TEST_CASE("without a policy every host is one batch") {
  Fleet fleet(5);
  RolloutPlan plan = plan_for(fleet, "");
  REQUIRE(plan.stages.size() == 1);
  CHECK(plan.stages[0].name == "batch 1");
  CHECK_FALSE(plan.stages[0].canary);
  CHECK(plan.stages[0].hosts.size() == 5);
  CHECK(plan.max_failures == 0);
}

TEST_CASE("a canary goes first, alone; the rest in batches of a count") {
  Fleet fleet(6);
  RolloutPlan plan = plan_for(fleet, "rollout: { canary: [h3], batch: 2 }\n");
  CHECK(stage_names(plan) ==
        std::vector<std::vector<std::string>>{{"h3"}, {"h1", "h2"}, {"h4", "h5"}, {"h6"}});
  CHECK(plan.stages[0].name == "canary");
  CHECK(plan.stages[0].canary);
  CHECK(plan.stages[1].name == "batch 1");
  CHECK(plan.stages[3].name == "batch 3");
  CHECK(plan.batch_size == 2);
}

TEST_CASE("percentages are of the hosts in the run, rounded down, at least one") {
  struct Case {
    int hosts;
    const char* batch;
    size_t size;
    size_t stages;
  };
  for (const Case& c : std::vector<Case>{{10, "20%", 2, 5},
                                         {6, "20%", 1, 6},  // 1.2 -> 1
                                         {9, "50%", 4, 3},  // 4.5 -> 4: 4 + 4 + 1
                                         {3, "1%", 1, 3},   // 0.03 -> at least one
                                         {7, "100%", 7, 1},
                                         {4, "10", 10, 1}}) {
    CAPTURE(c.hosts);
    CAPTURE(std::string(c.batch));
    Fleet fleet(c.hosts);
    RolloutPlan plan = plan_for(fleet, std::string("rollout: { batch: \"") + c.batch + "\" }\n");
    CHECK(plan.batch_size == c.size);
    CHECK(plan.stages.size() == c.stages);
    size_t total = 0;
    for (const auto& stage : plan.stages)
      total += stage.hosts.size();
    CHECK(total == static_cast<size_t>(c.hosts));
  }
}

TEST_CASE("max_failures as a count or a percentage, rounded down") {
  Fleet fleet(12);
  CHECK(plan_for(fleet, "rollout: { max_failures: 3 }\n").max_failures == 3);
  CHECK(plan_for(fleet, "rollout: { max_failures: 10% }\n").max_failures == 1);  // 1.2
  CHECK(plan_for(fleet, "rollout: { max_failures: 5% }\n").max_failures == 0);   // 0.6
  CHECK(plan_for(fleet, "rollout: { max_failures: 50% }\n").max_failures == 6);
}

TEST_CASE("canaries by role: every host with the role, once, in the order listed") {
  Fleet fleet(6);
  fleet.set_roles("h2", {"web"});
  fleet.set_roles("h5", {"web", "db"});
  fleet.set_roles("h6", {"db"});
  RolloutPlan plan = plan_for(fleet, "rollout: { canary: [role:db, h1, role:web], batch: 5 }\n");
  CHECK(stage_names(plan) ==
        std::vector<std::vector<std::string>>{{"h5", "h6", "h1", "h2"}, {"h3", "h4"}});
}

TEST_CASE("canaries outside the run are left out; percentages count only the run") {
  Fleet fleet(6);
  auto policy = fleet.load("rollout: { canary: [h1, h2], batch: 50% }\n").settings.rollout;
  std::vector<const state::Host*> run = {fleet.host("h2"), fleet.host("h3"), fleet.host("h4"),
                                         fleet.host("h5")};
  RolloutPlan plan = plan_rollout(policy, run);
  CHECK(stage_names(plan) == std::vector<std::vector<std::string>>{{"h2"}, {"h3", "h4"}, {"h5"}});
  CHECK(plan.host_count == 4);
}

TEST_CASE("every host a canary: one stage") {
  Fleet fleet(2);
  RolloutPlan plan = plan_for(fleet, "rollout: { canary: [h1, h2], batch: 1 }\n");
  CHECK(stage_names(plan) == std::vector<std::vector<std::string>>{{"h1", "h2"}});
}

TEST_CASE("command-line flags override the policy") {
  Fleet fleet(6);
  fleet.set_roles("h4", {"web"});
  const state::Repo& repo = fleet.load("rollout: { canary: [h1], batch: 2, max_failures: 1 }\n");
  std::vector<const state::Host*> all = fleet.all();

  RolloutFlags flags;
  flags.canary = {"role:web"};
  flags.batch = "50%";
  flags.max_failures = "0";
  flags.pause = "2m";
  auto policy = effective_policy(repo, all, flags);
  REQUIRE(policy.has_value());
  REQUIRE(policy->canary.size() == 1);
  CHECK(policy->canary[0].role == "web");
  CHECK(policy->batch->percent);
  CHECK(policy->batch->value == 50);
  CHECK(policy->max_failures.value == 0);
  CHECK(policy->pause_seconds == 120);

  RolloutFlags none;
  none.no_canary = true;
  auto without = effective_policy(repo, all, none);
  REQUIRE(without.has_value());
  CHECK(without->canary.empty());
  CHECK(without->batch->value == 2);  // untouched
}

TEST_CASE("bad flags are refused with the flag's name") {
  Fleet fleet(3);
  const state::Repo& repo = fleet.load("");
  std::vector<const state::Host*> all = fleet.all();
  std::vector<const state::Host*> only_h1 = {fleet.host("h1")};
  struct Case {
    RolloutFlags flags;
    std::vector<const state::Host*> selected;
    const char* gist;
  };
  auto with = [](auto set) {
    RolloutFlags flags;
    set(flags);
    return flags;
  };
  std::vector<Case> cases = {
      {with([](RolloutFlags& f) { f.batch = "0"; }), all, "--batch '0'"},
      {with([](RolloutFlags& f) { f.batch = "101%"; }), all, "--batch '101%'"},
      {with([](RolloutFlags& f) { f.batch = "-1"; }), all, "--batch '-1'"},
      {with([](RolloutFlags& f) { f.batch = "2.5"; }), all, "--batch '2.5'"},
      {with([](RolloutFlags& f) { f.max_failures = "x%"; }), all, "--max-failures 'x%'"},
      {with([](RolloutFlags& f) { f.pause = "soon"; }), all, "--pause 'soon'"},
      {with([](RolloutFlags& f) { f.pause = "2h"; }), all, "--pause '2h'"},
      {with([](RolloutFlags& f) { f.canary = {"h9"}; }), all, "no host 'h9'"},
      {with([](RolloutFlags& f) { f.canary = {"role:nope"}; }), all, "no role 'nope'"},
      {with([](RolloutFlags& f) { f.canary = {"bad name!"}; }), all, "expected a host name"},
      {with([](RolloutFlags& f) { f.canary = {"h2"}; }), only_h1, "matches none of the selected"},
      {with([](RolloutFlags& f) {
         f.canary = {"h1"};
         f.no_canary = true;
       }),
       all, "cannot be used together"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.gist));
    auto policy = effective_policy(repo, c.selected, c.flags);
    REQUIRE_FALSE(policy.has_value());
    CHECK(policy.error().code() == ErrorCode::kInvalidArgument);
    CHECK(policy.error().message().find(c.gist) != std::string::npos);
  }
}

TEST_CASE("stop rules: any canary failure; failures beyond max_failures") {
  RolloutStage canary{"canary", true, {nullptr, nullptr}};
  RolloutStage batch{"batch 2", false, {nullptr, nullptr}};
  CHECK(stop_reason(canary, 0, 0, 0).empty());
  CHECK(stop_reason(canary, 1, 1, 5) == "1 of 2 canaries failed");
  CHECK(stop_reason(batch, 0, 0, 0).empty());
  CHECK(stop_reason(batch, 1, 1, 1).empty());
  CHECK(stop_reason(batch, 1, 2, 1) == "2 hosts failed, more than max_failures (1)");
  CHECK(stop_reason(batch, 2, 3, 0) == "3 hosts failed, more than max_failures (0)");
}
