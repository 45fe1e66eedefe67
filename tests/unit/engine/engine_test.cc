// The engine against fake transports: dry run, apply order, requirements,
// the destructive gate, non-convergence, unreachable hosts, round trips.

#include "reconciler/engine.h"

#include <doctest/doctest.h>

#include <regex>

#include "modules/text.h"
#include "reconciler/transport/fake_transport.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using transport::FakeTransport;
using transport::Output;

namespace {

// Answers probes from canned section texts (by section name) and every other
// script with `change_exit(script)`.
struct FakeHost {
  std::vector<std::map<std::string, std::string>> probes;  // one per probe, last repeats
  std::function<int(const std::string&)> change_exit = [](const std::string&) { return 0; };
  int probes_seen = 0;
  std::vector<std::string> changes_run;

  Result<Output> answer(const FakeTransport::Call& call) {
    std::smatch match;
    static const std::regex marker("@@reconcile-([0-9a-f]{32}) begin ([a-z0-9-]+)@@");
    Output output;
    output.exit_code = 0;
    if (!std::regex_search(call.script, match, marker)) {
      changes_run.push_back(call.script);
      output.exit_code = change_exit(call.script);
      if (output.exit_code != 0) output.err = "boom\n";
      return output;
    }
    const auto& sections = probes[std::min<size_t>(probes_seen, probes.size() - 1)];
    ++probes_seen;
    std::string nonce = match[1];
    auto begin = call.script.cbegin();
    while (std::regex_search(begin, call.script.cend(), match, marker)) {
      std::string section = match[2];
      auto it = sections.find(section);
      std::string text = it == sections.end() ? "" : it->second;
      output.out += "@@reconcile-" + nonce + " begin " + section + "@@\n" + text +
                    "\n@@reconcile-" + nonce + " end " + section + " 0@@\n";
      begin = match.suffix().first;
    }
    return output;
  }
};

const char* kSystem =
    "kernel 6.1\narch x86_64\nhostname h\nboot bios\ninit systemd\npkg apt\nmem_kib 1000\nuid "
    "0\nsecrets_tmpfs no\n";

struct Run {
  std::vector<HostReport> reports;
};

Run run(const std::vector<state::Host>& hosts, std::vector<FakeHost*> fakes,
        EngineOptions options) {
  std::vector<const state::Host*> pointers;
  for (const auto& host : hosts)
    pointers.push_back(&host);
  TransportFactory factory =
      [&](asio::io_context&,
          const state::Host& host) -> Result<std::unique_ptr<transport::Transport>> {
    size_t index = &host - hosts.data();
    if (fakes[index] == nullptr) return unavailable(host.name + ": connection refused");
    auto fake = std::make_unique<FakeTransport>(host.name);
    FakeHost* simulated = fakes[index];
    fake->set_responder(
        [simulated](const FakeTransport::Call& call) { return simulated->answer(call); });
    return std::unique_ptr<transport::Transport>(std::move(fake));
  };
  auto progress = make_progress({}, false, true);
  return Run{run_hosts(pointers, factory, options, *progress)};
}

}  // namespace

TEST_CASE("dry run: one round trip, changes pending, nothing run") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\n");
  FakeHost fake;
  fake.probes = {{{"system", kSystem}, {"groups", ""}}};
  EngineOptions options;
  options.dry_run = true;
  auto result = run({host}, {&fake}, options);
  REQUIRE(result.reports.size() == 1);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kChangesPending);
  CHECK(report.round_trips == 1);
  CHECK(report.plan.size() == 1);
  CHECK(fake.changes_run.empty());
  CHECK(exit_code_for(result.reports) == 2);
}

TEST_CASE("apply: changes in phase order, then a re-probe that must be empty") {
  state::Host host = host_from_yaml(
      "groups:\n  ops: {}\nusers:\n  alice: { group: ops }\nfiles:\n  /etc/x: { content: a }\n");
  FakeHost fake;
  std::map<std::string, std::string> before = {{"system", kSystem},
                                               {"groups", ""},
                                               {"users", "user alice missing\n"},
                                               {"files", "file 0 missing\n"}};
  std::map<std::string, std::string> after = {
      {"system", kSystem},
      {"groups", "ops:x:2000:\n"},
      {"users",
       "user alice passwd alice:x:2001:2000::/home/alice:/bin/sh\nuser alice primary ops\nuser "
       "alice groups ops\n"},
      {"files",
       "file 0 stat root root 644 regular file\nfile 0 sha256 " + modules::sha256_hex("a") + "\n"}};
  fake.probes = {before, after};
  EngineOptions options;
  options.dry_run = false;
  auto result = run({host}, {&fake}, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kConverged);
  CHECK(report.remaining.empty());
  REQUIRE(fake.changes_run.size() == 3);
  CHECK(fake.changes_run[0].find("groupadd") != std::string::npos);
  CHECK(fake.changes_run[1].find("useradd") != std::string::npos);
  CHECK(fake.changes_run[2].find("mv -f") != std::string::npos);
  CHECK(fake.changes_run[0].rfind("set -eu\n", 0) == 0);  // the preamble
  CHECK(report.round_trips == 5);                         // probe + 3 changes + re-probe
  CHECK(exit_code_for(result.reports) == 0);
}

TEST_CASE("a failed change skips what requires it, not the rest; exit 3") {
  state::Host host = host_from_yaml(
      "groups:\n  ops: {}\nusers:\n  alice: { group: ops }\nfiles:\n  /etc/x: { content: a }\n");
  FakeHost fake;
  fake.probes = {{{"system", kSystem},
                  {"groups", ""},
                  {"users", "user alice missing\n"},
                  {"files", "file 0 missing\n"}}};
  fake.change_exit = [](const std::string& script) {
    return script.find("groupadd") != std::string::npos ? 9 : 0;
  };
  EngineOptions options;
  options.dry_run = false;
  auto result = run({host}, {&fake}, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kFailed);
  REQUIRE(report.results.size() == 3);
  CHECK(report.results[0].outcome == ChangeOutcome::kFailed);
  CHECK(report.results[0].message == "exit 9: boom");
  CHECK(report.results[1].outcome == ChangeOutcome::kSkipped);
  CHECK(report.results[1].message == "skipped because group:ops was not applied");
  CHECK(report.results[2].outcome == ChangeOutcome::kApplied);
  CHECK(exit_code_for(result.reports) == 3);
}

TEST_CASE("destructive changes are skipped without the flag and run with it") {
  state::Host host = host_from_yaml("users:\n  old: { state: absent }\n");
  std::map<std::string, std::string> probe = {
      {"system", kSystem},
      {"users",
       "user old passwd old:x:1003:1003::/home/old:/bin/sh\nuser old primary old\nuser old groups "
       "old\n"}};
  FakeHost fake;
  fake.probes = {probe};
  EngineOptions options;
  options.dry_run = false;
  auto refused = run({host}, {&fake}, options);
  CHECK(fake.changes_run.empty());
  CHECK(refused.reports[0].results[0].outcome == ChangeOutcome::kSkipped);
  CHECK(refused.reports[0].status == HostStatus::kNotConverged);
  CHECK(exit_code_for(refused.reports) == 3);

  FakeHost allowed_fake;
  allowed_fake.probes = {probe, {{"system", kSystem}, {"users", "user old missing\n"}}};
  options.allow_destructive = true;
  auto allowed = run({host}, {&allowed_fake}, options);
  REQUIRE(allowed_fake.changes_run.size() == 1);
  CHECK(allowed_fake.changes_run[0].find("userdel -- 'old'") != std::string::npos);
  CHECK(allowed.reports[0].status == HostStatus::kConverged);
}

TEST_CASE("a change that does not stick is reported as not converged") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\n");
  FakeHost fake;
  fake.probes = {{{"system", kSystem}, {"groups", ""}}};  // the re-probe still finds no group
  EngineOptions options;
  options.dry_run = false;
  auto result = run({host}, {&fake}, options);
  CHECK(result.reports[0].status == HostStatus::kNotConverged);
  CHECK(result.reports[0].remaining.size() == 1);
  CHECK(result.reports[0].error.find("not converged") == 0);
}

TEST_CASE("an unreachable host is reported (exit 4) while the others proceed") {
  state::Host a = host_from_yaml("groups:\n  ops: {}\n");
  state::Host b = a;
  b.name = "other";
  FakeHost fake;
  fake.probes = {{{"system", kSystem}, {"groups", "ops:x:2000:\n"}}};
  EngineOptions options;
  auto result = run({a, b}, {nullptr, &fake}, options);
  CHECK(result.reports[0].status == HostStatus::kUnreachable);
  CHECK(result.reports[0].error.find("connection refused") != std::string::npos);
  CHECK(result.reports[1].status == HostStatus::kConverged);
  CHECK(exit_code_for(result.reports) == 4);
}

TEST_CASE("a probe that cannot be parsed fails the host with data loss") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\n");
  FakeHost fake;
  fake.probes = {{{"system", "garbage\n"}}};
  auto result = run({host}, {&fake}, EngineOptions{});
  CHECK(result.reports[0].status == HostStatus::kFailed);
  CHECK(result.reports[0].error.find("probe: facts of system") == 0);
}

TEST_CASE("a restart runs only when a triggering change applied") {
  state::Host host = host_from_yaml(
      "services:\n  nginx: { running: true }\nfiles:\n  /etc/n.conf: { content: a, restart: "
      "[nginx] }\n");
  std::map<std::string, std::string> probe = {
      {"system", kSystem},
      {"files", "file 0 missing\n"},
      {"services",
       "service nginx LoadState loaded\nservice nginx ActiveState active\nservice nginx "
       "UnitFileState enabled\n"}};
  FakeHost fake;
  fake.probes = {probe};
  fake.change_exit = [](const std::string& script) {
    return script.find("mv -f") != std::string::npos ? 1 : 0;
  };
  EngineOptions options;
  options.dry_run = false;
  auto result = run({host}, {&fake}, options);
  const HostReport& report = result.reports[0];
  REQUIRE(report.plan.size() == 2);
  CHECK(report.plan[1].resource == "restart nginx");
  CHECK(report.results[1].outcome == ChangeOutcome::kNotRun);
  CHECK(fake.changes_run.size() == 1);  // the failed write only
}

// The lockout guard (reconciler/lockout_guard.h) against fake hosts: the
// first connection arms it and applies; a fresh connection on the new port
// cancels it and carries the rest of the run, or, when none gets through,
// the engine waits for the rollback and reports the host as rolled back.
namespace {

const char* kGuardedHost =
    "address: 192.0.2.7\nsecurity:\n  ssh: { port: 2222, password_auth: false }\n";

std::map<std::string, std::string> sshd_sections(const state::Host& host, bool converged) {
  std::string text = "include\n";
  if (converged) {
    text += "dropin " + modules::sha256_hex(modules::sshd_dropin_text(*host.security.ssh)) +
            "\neffective port 2222\neffective passwordauthentication no\n";
  } else {
    text += "effective port 22\neffective passwordauthentication yes\n";
  }
  return {{"system", kSystem}, {"ssh", text}};
}

struct GuardWorld {
  FakeHost first;          // the run's first connection
  FakeHost second;         // fresh connections of the guard
  std::vector<int> ports;  // of every fresh connection, in order
  bool new_port_answers = true;
  std::string status_answer = "rolled-back";
};

Run run_guarded(const state::Host& host, GuardWorld& world, EngineOptions options) {
  options.reconnect = [&world](asio::io_context&, const state::Host& h,
                               int port) -> Result<std::unique_ptr<transport::Transport>> {
    world.ports.push_back(port);
    auto fake = std::make_unique<FakeTransport>(h.name + ":" + std::to_string(port));
    if (port == 2222 && !world.new_port_answers) {
      fake->fail_connect(Error(ErrorCode::kDeadlineExceeded, "connection timed out"));
    }
    GuardWorld* w = &world;
    fake->set_responder([w](const FakeTransport::Call& call) -> Result<Output> {
      if (call.script.find("echo rolled-back") != std::string::npos) {
        Output output;
        output.exit_code = 0;
        output.out = w->status_answer + "\n";
        return output;
      }
      return w->second.answer(call);
    });
    return std::unique_ptr<transport::Transport>(std::move(fake));
  };
  return run({host}, {&world.first}, options);
}

}  // namespace

TEST_CASE("lockout guard: armed before the sshd change, cancelled over a fresh connection") {
  state::Host host = host_from_yaml(kGuardedHost);
  GuardWorld world;
  world.first.probes = {sshd_sections(host, false)};
  world.second.probes = {sshd_sections(host, true)};
  EngineOptions options;
  options.dry_run = false;
  auto result = run_guarded(host, world, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kConverged);
  REQUIRE(world.first.changes_run.size() == 2);
  CHECK(world.first.changes_run[0].find("/var/lib/reconcile/guard") != std::string::npos);
  CHECK(world.first.changes_run[0].find("timeout=60\n") != std::string::npos);
  CHECK(world.first.changes_run[1].find("50-reconcile.conf") != std::string::npos);
  CHECK(world.ports == std::vector<int>{2222});
  // The fresh connection cancels the rollback, then re-probes.
  REQUIRE(world.second.changes_run.size() == 1);
  CHECK(world.second.changes_run[0].find("mv \"$g/armed\" \"$g/cancelled\"") != std::string::npos);
  CHECK(world.second.probes_seen == 1);
  CHECK(report.guard.find("a fresh connection on port 2222 worked") == 0);
  CHECK(report.guard_confirm_seconds >= 0);
  CHECK(exit_code_for(result.reports) == 0);
}

TEST_CASE("lockout guard: no fresh connection gets through, the host rolls back") {
  state::Host host = host_from_yaml(kGuardedHost);
  host.security.lockout_timeout_seconds = 1;  // below the loader's minimum, for speed
  GuardWorld world;
  world.new_port_answers = false;
  world.first.probes = {sshd_sections(host, false)};
  world.second.probes = {sshd_sections(host, false)};  // as before the run
  EngineOptions options;
  options.dry_run = false;
  auto result = run_guarded(host, world, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kFailed);
  CHECK(report.error.find("rolled back: could not reconnect on port 2222 after applying sshd "
                          "settings (connection timed out)") == 0);
  CHECK(report.error.find("answers on port 22 again (sshd and the firewall are as before the "
                          "run)") != std::string::npos);
  CHECK(world.ports.front() == 2222);
  CHECK(world.ports.back() == 22);
  CHECK(report.guard_rollback_seconds >= 1);
  CHECK(exit_code_for(result.reports) == 3);
}

TEST_CASE("lockout guard: a host that comes back different from before is reported so") {
  state::Host host = host_from_yaml(kGuardedHost);
  host.security.lockout_timeout_seconds = 1;
  GuardWorld world;
  world.new_port_answers = false;
  world.first.probes = {sshd_sections(host, false)};
  world.second.probes = {sshd_sections(host, true)};
  EngineOptions options;
  options.dry_run = false;
  auto result = run_guarded(host, world, options);
  CHECK(result.reports[0].status == HostStatus::kFailed);
  CHECK(result.reports[0].error.find("but differs from before the run in: sshd") !=
        std::string::npos);
}

TEST_CASE("lockout guard: a guard that cannot be armed runs no guarded change") {
  state::Host host = host_from_yaml(std::string(kGuardedHost) + "groups:\n  ops: {}\n");
  GuardWorld world;
  auto sections = sshd_sections(host, false);
  sections["groups"] = "";
  world.first.probes = {sections};
  world.first.change_exit = [](const std::string& script) {
    return script.find("/var/lib/reconcile/guard") != std::string::npos ? 1 : 0;
  };
  EngineOptions options;
  options.dry_run = false;
  auto result = run_guarded(host, world, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kFailed);
  REQUIRE(world.first.changes_run.size() == 2);  // groupadd, the failed arm
  CHECK(world.first.changes_run[0].find("groupadd") != std::string::npos);
  CHECK(world.ports.empty());
  CHECK(report.error.find("sshd settings: not run: the lockout guard could not be armed") !=
        std::string::npos);
}

TEST_CASE("lockout guard: --no-lockout-guard applies without it, and the plan says so") {
  state::Host host = host_from_yaml(kGuardedHost);
  GuardWorld world;
  world.first.probes = {sshd_sections(host, false), sshd_sections(host, true)};
  EngineOptions options;
  options.dry_run = false;
  options.lockout_guard = false;
  auto result = run_guarded(host, world, options);
  const HostReport& report = result.reports[0];
  CHECK(report.status == HostStatus::kConverged);
  REQUIRE(world.first.changes_run.size() == 1);
  CHECK(world.first.changes_run[0].find("/var/lib/reconcile/guard") == std::string::npos);
  CHECK(world.ports.empty());
  REQUIRE(report.plan.size() == 1);
  CHECK_FALSE(report.plan[0].guarded);
}
