// A saved plan through the engine on fake transports: two hosts planned,
// one changed by hand afterwards; applying the plan refuses that host as
// stale (after its one probe, running nothing) while the other gets exactly
// the saved changes and converges.

#include <doctest/doctest.h>

#include <regex>

#include "reconciler/engine.h"
#include "reconciler/plan_apply.h"
#include "reconciler/transport/fake_transport.h"
#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using transport::FakeTransport;
using transport::Output;

namespace {

const char* kSystem =
    "kernel 6.1\narch x86_64\nhostname h\nboot bios\ninit systemd\npkg apt\nmem_kib 1000\nuid "
    "0\nsecrets_tmpfs no\n";

std::string file_section(const std::string& content) {
  return "file 0 stat root root 644 regular file\nfile 0 sha256 " + modules::sha256_hex(content) +
         "\n";
}

// A host whose probes answer with one file's content (the last one repeats),
// recording every other script it is sent.
struct FakeHost {
  explicit FakeHost(std::vector<std::string> file_contents) : contents(std::move(file_contents)) {}

  std::vector<std::string> contents;
  size_t probes_seen = 0;
  std::vector<std::string> changes_run;

  Result<Output> answer(const FakeTransport::Call& call) {
    static const std::regex marker("@@reconcile-([0-9a-f]{32}) begin ([a-z0-9-]+)@@");
    std::smatch match;
    Output output;
    output.exit_code = 0;
    if (!std::regex_search(call.script, match, marker)) {
      changes_run.push_back(call.script);
      return output;
    }
    std::string content = contents[std::min(probes_seen++, contents.size() - 1)];
    std::string nonce = match[1];
    for (auto it = call.script.cbegin(); std::regex_search(it, call.script.cend(), match, marker);
         it = match.suffix().first) {
      std::string section = match[2];
      std::string text = section == "system"  ? kSystem
                         : section == "files" ? file_section(content)
                                              : "";
      output.out += "@@reconcile-" + nonce + " begin " + section + "@@\n" + text +
                    "\n@@reconcile-" + nonce + " end " + section + " 0@@\n";
    }
    return output;
  }
};

std::vector<HostReport> run(const std::vector<state::Host>& hosts, std::vector<FakeHost*> fakes,
                            const EngineOptions& options) {
  std::vector<const state::Host*> pointers;
  for (const auto& host : hosts)
    pointers.push_back(&host);
  TransportFactory factory =
      [&](asio::io_context&,
          const state::Host& host) -> Result<std::unique_ptr<transport::Transport>> {
    FakeHost* simulated = fakes[&host - hosts.data()];
    auto fake = std::make_unique<FakeTransport>(host.name);
    fake->set_responder(
        [simulated](const FakeTransport::Call& call) { return simulated->answer(call); });
    return std::unique_ptr<transport::Transport>(std::move(fake));
  };
  auto progress = make_progress({}, false, true);
  return run_hosts(pointers, factory, options, *progress);
}

}  // namespace

TEST_CASE("engine with a saved plan: the changed host is stale, the other applies exactly") {
  state::Host web1 = host_from_yaml("files:\n  /etc/app/conf1.ini: { content: \"a=1\\n\" }\n");
  web1.name = "web1";
  state::Host web2 = web1;
  web2.name = "web2";
  std::vector<state::Host> hosts = {web1, web2};
  PlanKey key = test_key();

  FakeHost plan1({"a=0\n"}), plan2({"a=0\n"});
  EngineOptions dry;
  auto planned = run(hosts, {&plan1, &plan2}, dry);
  REQUIRE(planned[0].status == HostStatus::kChangesPending);
  state::Repo repo;
  repo.commit = std::string(40, 'c');
  SavedPlan plan = MUST(read_saved_plan(
      write_saved_plan(
          MUST(make_saved_plan(repo, "id", {&hosts[0], &hosts[1]}, planned, key, 1714564800)), key),
      "plan.json", key));

  // web1 is as planned, then converged; web2 was edited by hand since.
  FakeHost apply1({"a=0\n", "a=1\n"}), apply2({"edited by hand\n"});
  ReplannedHosts replanned;
  EngineOptions options;
  options.dry_run = false;
  options.given_plan = given_plan_from(plan, key, false, replanned);
  auto reports = run(hosts, {&apply1, &apply2}, options);

  CHECK(reports[0].status == HostStatus::kConverged);
  REQUIRE(apply1.changes_run.size() == 1);
  CHECK(apply1.changes_run[0].find(plan.hosts[0].changes[0].change.script) != std::string::npos);
  CHECK(reports[0].round_trips == 3);  // probe, the change, re-probe

  CHECK(reports[1].status == HostStatus::kStale);
  CHECK(reports[1].error ==
        "plan made at 2024-05-01T12:00:00Z; since then: file /etc/app/conf1.ini changed");
  CHECK(apply2.changes_run.empty());
  CHECK(reports[1].round_trips == 1);  // the one probe, nothing else
  CHECK(reports[1].plan.empty());
  CHECK(exit_code_for(reports) == 3);
  CHECK(std::string(host_status_name(reports[1].status)) == "stale");
}

TEST_CASE("engine with a saved plan in dry-run mode checks staleness and runs nothing") {
  state::Host web1 = host_from_yaml("files:\n  /etc/app/conf1.ini: { content: \"a=1\\n\" }\n");
  std::vector<state::Host> hosts = {web1};
  PlanKey key = test_key();
  FakeHost planning({"a=0\n"});
  auto planned = run(hosts, {&planning}, EngineOptions{});
  state::Repo repo;
  repo.commit = std::string(40, 'c');
  SavedPlan plan = MUST(make_saved_plan(repo, "id", {&hosts[0]}, planned, key, 1714564800));
  FakeHost checking({"a=0\n"});
  ReplannedHosts replanned;
  EngineOptions options;
  options.given_plan = given_plan_from(plan, key, false, replanned);
  auto reports = run(hosts, {&checking}, options);
  CHECK(reports[0].status == HostStatus::kChangesPending);
  CHECK(reports[0].plan.size() == 1);
  CHECK(checking.changes_run.empty());
}
