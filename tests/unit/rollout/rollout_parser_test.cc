// `rollout:` in reconcile.yaml and `health:` in hosts and roles: what valid
// input means, and every kind of bad input reported once at its
// file:line:column.

#include <doctest/doctest.h>

#include "desired-state/rollout_values.h"
#include "tests/unit/rollout/rollout_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using state::HealthKind;

namespace {

struct BadCase {
  const char* name;
  const char* reconcile_yaml;
  const char* host_yaml;  // extra lines of hosts/h1.yaml
  const char* where;      // "file:line:col"
  const char* gist;
};

const std::vector<BadCase> kBad = {
    {"rollout not a map", "rollout: 5\n", "", "reconcile.yaml:1:10", "expected a map"},
    {"unknown rollout key", "rollout:\n  batches: 2\n", "", "reconcile.yaml:2:3",
     "did you mean 'batch'"},
    {"unknown canary host", "rollout:\n  canary: [h1, h7]\n", "", "reconcile.yaml:2:16",
     "no host 'h7'"},
    {"near-miss canary host", "rollout:\n  canary: [hh1]\n", "", "reconcile.yaml:2:12",
     "did you mean 'h1'"},
    {"unknown canary role", "rollout:\n  canary: [role:web]\n", "", "reconcile.yaml:2:12",
     "no role 'web'"},
    {"bad canary syntax", "rollout:\n  canary: [\"a b\"]\n", "", "reconcile.yaml:2:12",
     "expected a host name or role:NAME"},
    {"canary not a list", "rollout:\n  canary: h1\n", "", "reconcile.yaml:2:11", "expected a list"},
    {"batch zero", "rollout:\n  batch: 0\n", "", "reconcile.yaml:2:10", "got '0'"},
    {"batch over 100%", "rollout:\n  batch: 150%\n", "", "reconcile.yaml:2:10", "got '150%'"},
    {"batch decimal percent", "rollout:\n  batch: 12.5%\n", "", "reconcile.yaml:2:10",
     "a percentage of the hosts in the run"},
    {"batch negative", "rollout:\n  batch: -2\n", "", "reconcile.yaml:2:10", "got '-2'"},
    {"max_failures text", "rollout:\n  max_failures: some\n", "", "reconcile.yaml:2:17",
     "got 'some'"},
    {"max_failures percent alone", "rollout:\n  max_failures: \"%\"\n", "", "reconcile.yaml:2:17",
     "got '%'"},
    {"pause too long", "rollout:\n  pause: 2h\n", "", "reconcile.yaml:2:10",
     "duration from 0s to 1h"},
    {"pause nonsense", "rollout:\n  pause: soon\n", "", "reconcile.yaml:2:10", "got 'soon'"},
    {"health not a list", "", "health: { tcp: 80 }\n", "hosts/h1.yaml:2:9",
     "expected a list of checks"},
    {"health item a string", "", "health: [\"true\"]\n", "hosts/h1.yaml:2:10", "expected a map"},
    {"two kinds in a check", "", "health:\n  - { command: \"true\", tcp: 80 }\n",
     "hosts/h1.yaml:3:5", "exactly one of command, http and tcp"},
    {"empty check", "", "health:\n  - {}\n", "hosts/h1.yaml:3:5",
     "expected a check (command, http or tcp) or settings"},
    {"unknown check key", "", "health:\n  - { tcp: 80, retry: 2 }\n", "hosts/h1.yaml:3:16",
     "expected one of: command, expect, http, interval, retries, tcp, timeout"},
    {"empty command", "", "health:\n  - { command: \" \" }\n", "hosts/h1.yaml:3:16",
     "expected a shell command"},
    {"ftp url", "", "health:\n  - { http: \"ftp://x/\" }\n", "hosts/h1.yaml:3:13",
     "expected an http:// or https:// URL"},
    {"url with space", "", "health:\n  - { http: \"http://127.0.0.1/a b\" }\n",
     "hosts/h1.yaml:3:13", "without spaces"},
    {"url with password", "", "health:\n  - { http: \"http://u:p@127.0.0.1/\" }\n",
     "hosts/h1.yaml:3:13", "without user or password"},
    {"url bad port", "", "health:\n  - { http: \"http://127.0.0.1:99999/\" }\n",
     "hosts/h1.yaml:3:13", "expected an http://"},
    {"expect out of range", "", "health:\n  - { http: \"http://127.0.0.1/\", expect: 700 }\n",
     "hosts/h1.yaml:3:42", "from 100 to 599"},
    {"expect without http", "", "health:\n  - { tcp: 80, expect: 200 }\n", "hosts/h1.yaml:3:24",
     "expect belongs to an http check"},
    {"tcp port zero", "", "health:\n  - { tcp: 0 }\n", "hosts/h1.yaml:3:12", "expected a port"},
    {"tcp unbracketed v6", "", "health:\n  - { tcp: \"::1:443\" }\n", "hosts/h1.yaml:3:12",
     "expected a port"},
    {"tcp bad host", "", "health:\n  - { tcp: \"a b:80\" }\n", "hosts/h1.yaml:3:12",
     "expected a port"},
    {"timeout zero", "", "health:\n  - { tcp: 80, timeout: 0s }\n", "hosts/h1.yaml:3:25",
     "duration from 1s to 1h"},
    {"retries too many", "", "health:\n  - { tcp: 80, retries: 1000 }\n", "hosts/h1.yaml:3:25",
     "from 0 to 100"},
    {"interval words", "", "health:\n  - { tcp: 80, interval: often }\n", "hosts/h1.yaml:3:26",
     "got 'often'"},
    {"two settings elements", "",
     "health:\n  - { timeout: 5s }\n  - { tcp: 80 }\n  - { retries: 1 }\n", "hosts/h1.yaml:5:5",
     "only one settings element per list (the first is at line 3)"},
    {"expect in settings", "", "health:\n  - { tcp: 80 }\n  - { expect: 200, timeout: 3s }\n",
     "hosts/h1.yaml:4:15", "expect belongs to an http check"},
};

std::vector<state::HealthCheck> checks_of(const std::string& health_yaml) {
  Fleet fleet(1);
  fleet.set_extra("h1", health_yaml);
  return fleet.load("").hosts[0].health;
}

}  // namespace

TEST_CASE("bad rollout and health input: one error each, at its place") {
  for (const auto& c : kBad) {
    CAPTURE(std::string(c.name));
    Fleet fleet(2);
    fleet.set_extra("h1", c.host_yaml);
    state::LoadResult result = fleet.try_load(c.reconcile_yaml);
    for (const auto& d : result.diagnostics.items())
      MESSAGE(d.to_string());
    REQUIRE(result.diagnostics.size() == 1);
    const auto& item = result.diagnostics.items()[0];
    CHECK(item.location.to_string() == c.where);
    CHECK(item.message.find(c.gist) != std::string::npos);
  }
}

TEST_CASE("a full rollout policy") {
  Fleet fleet(3);
  fleet.set_roles("h2", {"web"});
  const state::Repo& repo = fleet.load(
      "rollout:\n  canary: [h1, role:web]\n  batch: \"20%\"\n  max_failures: 1\n  pause: 1m\n");
  const state::RolloutPolicy& policy = repo.settings.rollout;
  REQUIRE(policy.canary.size() == 2);
  CHECK(policy.canary[0].host == "h1");
  CHECK(policy.canary[1].role == "web");
  CHECK(policy.canary[1].location.to_string() == "reconcile.yaml:2:16");
  REQUIRE(policy.batch.has_value());
  CHECK(policy.batch->percent);
  CHECK(policy.batch->value == 20);
  CHECK_FALSE(policy.max_failures.percent);
  CHECK(policy.max_failures.value == 1);
  CHECK(policy.pause_seconds == 60);
}

TEST_CASE("health checks of each kind, with defaults") {
  auto checks = checks_of(
      "health:\n"
      "  - command: systemctl is-active nginx\n"
      "  - { http: \"http://127.0.0.1/healthz\", expect: 200 }\n"
      "  - { http: \"https://[::1]:8443?ready\" }\n"
      "  - { tcp: 443 }\n"
      "  - { tcp: \"db.internal:5432\" }\n");
  REQUIRE(checks.size() == 5);
  CHECK(checks[0].kind == HealthKind::kCommand);
  CHECK(checks[0].command == "systemctl is-active nginx");
  CHECK(checks[0].timeout_seconds == 10);
  CHECK(checks[0].retries == 3);
  CHECK(checks[0].interval_seconds == 2);
  CHECK(checks[1].kind == HealthKind::kHttp);
  CHECK(checks[1].target == "127.0.0.1");
  CHECK(checks[1].port == 80);
  CHECK(checks[1].path == "/healthz");
  CHECK(checks[1].expect == 200);
  CHECK(checks[2].https);
  CHECK(checks[2].target == "::1");
  CHECK(checks[2].port == 8443);
  CHECK(checks[2].path == "/?ready");
  CHECK_FALSE(checks[2].expect.has_value());
  CHECK(checks[3].kind == HealthKind::kTcp);
  CHECK(checks[3].target == "127.0.0.1");
  CHECK(checks[3].port == 443);
  CHECK(checks[4].target == "db.internal");
  CHECK(checks[4].port == 5432);
}

TEST_CASE("the settings element sets defaults for its whole list; a check's own keys win") {
  auto checks = checks_of(
      "health:\n"
      "  - { tcp: 80, retries: 0 }\n"
      "  - { timeout: 30s, retries: 5, interval: 1s }\n"
      "  - { command: \"true\", interval: 4s }\n");
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].timeout_seconds == 30);  // the settings element after it still applies
  CHECK(checks[0].retries == 0);           // its own
  CHECK(checks[0].interval_seconds == 1);
  CHECK(checks[1].timeout_seconds == 30);
  CHECK(checks[1].retries == 5);
  CHECK(checks[1].interval_seconds == 4);  // its own
}

TEST_CASE("health in a role; a host's list replaces the role's; an empty list clears it") {
  state::MemorySource source;
  source.set("reconcile.yaml", "");
  source.set("roles/web.yaml", "health:\n  - { command: \"pidof nginx\" }\n  - { timeout: 5s }\n");
  source.set("hosts/h1.yaml", "roles: [web]\n");
  source.set("hosts/h2.yaml", "roles: [web]\nhealth: [{ tcp: 22 }]\n");
  source.set("hosts/h3.yaml", "roles: [web]\nhealth: []\n");
  state::LoadResult result = state::load_repo(source);
  REQUIRE(result.ok());
  REQUIRE(result.repo.hosts.size() == 3);
  REQUIRE(result.repo.hosts[0].health.size() == 1);
  CHECK(result.repo.hosts[0].health[0].command == "pidof nginx");
  CHECK(result.repo.hosts[0].health[0].timeout_seconds == 5);
  REQUIRE(result.repo.hosts[1].health.size() == 1);
  CHECK(result.repo.hosts[1].health[0].kind == HealthKind::kTcp);
  CHECK(result.repo.hosts[1].health[0].timeout_seconds == 10);  // the role's settings went too
  CHECK(result.repo.hosts[2].health.empty());
}

TEST_CASE("a bad check in an unused role is still reported") {
  state::MemorySource source;
  source.set("reconcile.yaml", "");
  source.set("roles/unused.yaml", "health:\n  - { tcp: nope }\n");
  state::LoadResult result = state::load_repo(source);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics.items()[0].location.to_string() == "roles/unused.yaml:2:12");
}

TEST_CASE("value helpers") {
  CHECK(state::host_count_text(*state::parse_host_count("25%", 0)) == "25%");
  CHECK(state::host_count_text(*state::parse_host_count("0", 0)) == "0");
  CHECK_FALSE(state::parse_host_count("0", 1).has_value());
  CHECK_FALSE(state::parse_host_count("0%", 1).has_value());
  CHECK_FALSE(state::parse_host_count("", 0).has_value());
  CHECK_FALSE(state::parse_host_count(" 5", 0).has_value());
  CHECK_FALSE(state::parse_host_count("5 %", 0).has_value());
  CHECK_FALSE(state::parse_host_count("999999999999", 0).has_value());
  CHECK(state::canary_text(*state::parse_canary_ref("role:web")) == "role:web");
  CHECK_FALSE(state::parse_canary_ref("role:").has_value());
  CHECK_FALSE(state::parse_canary_ref("").has_value());
  CHECK_FALSE(state::parse_canary_ref("-h1").has_value());
}
