// Applying a saved plan to one host: exactly the saved changes while the
// relevant facts match; refused as stale, naming what changed, otherwise;
// withheld secret bytes re-materialised from the fresh plan and checked.

#include "reconciler/plan_apply.h"

#include <doctest/doctest.h>

#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

state::SecretDelivery gateway_token() {
  state::SecretDelivery secret;
  secret.name = "gateway-token";
  secret.source = "secrets/gateway-token.age";
  return secret;
}

constexpr int64_t kMadeAt = 1714564800;

std::shared_ptr<const secrets::SecureBuffer> secret_bytes(const std::string& text) {
  return std::make_shared<secrets::SecureBuffer>(text.data(), text.size());
}

modules::Change secret_change(const std::string& plaintext) {
  modules::Change change;
  change.module = "secrets";
  change.resource = "secret gateway-token";
  change.key = "secret:gateway-token";
  change.action = modules::Action::kCreate;
  change.phase = modules::Phase::kSecrets;
  change.script = "cat > /run/secrets/gateway-token\n";
  change.secret_input = secret_bytes(plaintext);
  return change;
}

// A host, its facts, and a plan saved from them. A secret delivery is
// simulated by a change with secret_input, as the secrets module makes.
struct Fixture {
  PlanKey key = test_key();
  state::Host host = sample_host();
  modules::HostFacts facts = sample_facts();
  std::vector<modules::Change> fresh;
  SavedPlan plan;

  Fixture() {
    host.name = "web1";
    host.address = "203.0.113.11";
    host.secrets.push_back(gateway_token());
    HostReport report = dry_run_report(host, facts);
    report.plan.push_back(secret_change("token-v1"));
    fresh = report.plan;
    state::Repo repo;
    repo.commit = std::string(40, 'c');
    plan = MUST(make_saved_plan(repo, "id", {&host}, {report}, key, kMadeAt));
    // Through the file format, as `reconcile apply` reads it.
    plan = MUST(read_saved_plan(write_saved_plan(plan, key), "plan.json", key));
  }
};

}  // namespace

TEST_CASE("plan apply: unchanged facts give exactly the saved changes") {
  Fixture f;
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_MESSAGE(changes.has_value(), changes.error().message());
  REQUIRE(changes->size() == f.fresh.size());
  for (size_t i = 0; i < changes->size(); ++i) {
    CHECK((*changes)[i].resource == f.fresh[i].resource);
    CHECK((*changes)[i].script == f.fresh[i].script);
    CHECK((*changes)[i].input == f.fresh[i].input);
    CHECK((*changes)[i].requires_keys == f.fresh[i].requires_keys);
    CHECK((*changes)[i].triggered_by == f.fresh[i].triggered_by);
  }
  // The secret comes back from the fresh plan, the same buffer.
  CHECK(changes->back().secret_input == f.fresh.back().secret_input);
}

TEST_CASE("plan apply: the saved scripts run, not the fresh ones") {
  Fixture f;
  // A newer reconcile might plan the same facts differently; the reviewed
  // script is what runs.
  f.fresh[0].script = "echo something else\n";
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE(changes.has_value());
  CHECK((*changes)[0].script == f.plan.hosts[0].changes[0].change.script);
  CHECK((*changes)[0].script != "echo something else\n");
}

TEST_CASE("plan apply: a file changed by hand makes the host stale, with the reason") {
  Fixture f;
  f.facts.files[0].sha256 = modules::sha256_hex("edited by hand\n");
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().code() == ErrorCode::kFailedPrecondition);
  CHECK(changes.error().message() ==
        "plan made at 2024-05-01T12:00:00Z; since then: file /etc/app/conf1.ini changed");
}

TEST_CASE("plan apply: several changes are all named") {
  Fixture f;
  f.facts.users["alice"]->shell = "/bin/sh";
  f.facts.packages.installed.erase("nginx");
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().message() ==
        "plan made at 2024-05-01T12:00:00Z; since then: package nginx changed, user alice "
        "changed");
}

TEST_CASE("plan apply: unrelated drift does not make the plan stale") {
  Fixture f;
  f.facts.packages.installed.insert("vim");
  f.facts.system.kernel = "6.9";
  CHECK(
      saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key).has_value());
}

TEST_CASE("plan apply: a secret whose plaintext changed makes the host stale") {
  Fixture f;
  f.fresh.back() = secret_change("token-v2");
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().message().find("since then: secret gateway-token changed") !=
        std::string::npos);
  CHECK(changes.error().message().find("token-v") == std::string::npos);
}

TEST_CASE("plan apply: a secret the fresh plan no longer streams makes the host stale") {
  Fixture f;
  f.fresh.pop_back();
  auto changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().message().find("secret gateway-token is no longer delivered") !=
        std::string::npos);
}

TEST_CASE("plan apply: a host without a plan, or at another address, is refused") {
  Fixture f;
  SavedHost unplanned = f.plan.hosts[0];
  unplanned.planned = false;
  unplanned.status = "unreachable";
  unplanned.error = "connection refused";
  auto changes = saved_changes_for_host(f.plan, unplanned, f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().message() ==
        "plan made at 2024-05-01T12:00:00Z has no changes for this host (it was unreachable: "
        "connection refused)");
  f.host.address = "203.0.113.99";
  changes = saved_changes_for_host(f.plan, f.plan.hosts[0], f.host, f.facts, f.fresh, f.key);
  REQUIRE_FALSE(changes.has_value());
  CHECK(changes.error().message().find("was for address 203.0.113.11") != std::string::npos);
}

TEST_CASE("plan apply: --replan plans a stale host afresh and says why") {
  Fixture f;
  f.facts.files[0].sha256 = "edited";
  ReplannedHosts replanned;
  GivenPlan strict = given_plan_from(f.plan, f.key, false, replanned);
  CHECK_FALSE(strict(f.host, f.facts, f.fresh).has_value());
  CHECK(replanned.empty());
  GivenPlan lenient = given_plan_from(f.plan, f.key, true, replanned);
  auto changes = lenient(f.host, f.facts, f.fresh);
  REQUIRE(changes.has_value());
  CHECK(changes->size() == f.fresh.size());
  REQUIRE(replanned.count("web1") == 1);
  CHECK(replanned["web1"].find("file /etc/app/conf1.ini changed") != std::string::npos);
  state::Host stranger = f.host;
  stranger.name = "db9";
  auto refused = strict(stranger, f.facts, f.fresh);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message() == "not in the plan");
}
