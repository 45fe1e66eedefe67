// The daemon's run logic with a fake HostRunner and a fake clock: a new
// commit is fetched, gated and applied; a refused or invalid commit applies
// nothing and keeps the previous desired state; failing hosts back off;
// drift is recorded; a restart picks up where the last daemon stopped.

#include "reconciler/daemon/daemon.h"

#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "reconciler/daemon/rollout_state.h"
#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;
using std::chrono::seconds;

namespace {

// Plays the engine: every host converges unless told otherwise.
struct FakeRunner {
  std::map<std::string, HostState> states;
  std::map<std::string, int> changes;
  std::vector<std::vector<std::string>> runs;  // host names per call
  std::vector<std::string> hosts_yaml;         // web1's file as the runner's source reads it
  // Plays a rollout with this host as the only canary: when it fails, the
  // rollout stops and the other hosts are left untouched.
  std::string canary;

  HostRunner runner() {
    return [this](const RunInput& input) {
      runs.emplace_back();
      auto text = input.source ? input.source->read("hosts/web1.yaml") : Result<std::string>("");
      hosts_yaml.push_back(text ? *text : "error: " + text.error().message());
      std::vector<const state::Host*> order;
      for (const auto* host : input.hosts) {
        if (host->name == canary) order.insert(order.begin(), host);
        if (host->name != canary) order.push_back(host);
      }
      for (size_t i = 0; i < order.size(); ++i) {
        const auto* host = order[i];
        if (input.stop_requested()) break;
        bool canary_failed = host->name == canary && states.count(canary) > 0 &&
                             states[canary] == HostState::kFailed;
        runs.back().push_back(host->name);
        HostOutcome outcome;
        outcome.host = host->name;
        outcome.state = states.count(host->name) ? states[host->name] : HostState::kConverged;
        outcome.changes = changes.count(host->name) ? changes[host->name] : 0;
        if (outcome.state == HostState::kFailed) outcome.error = "exit 1: boom";
        input.on_host_done(outcome);
        if (canary_failed && i + 1 < order.size()) {
          std::vector<std::string> left;
          for (size_t j = i + 1; j < order.size(); ++j)
            left.push_back(order[j]->name);
          input.on_rollout_stopped("1 of 1 canary failed in canary", left);
          break;
        }
      }
    };
  }
};

struct DaemonFixture {
  SignedRepo repo;
  TempDir state;
  FakeClock clock;
  FakeRunner fake;

  DaemonFixture() {
    repo.write("reconcile.yaml", "");
    repo.write("hosts/web1.yaml", "address: 10.0.0.1\n");
    repo.write("hosts/web2.yaml", "address: 10.0.0.2\n");
  }

  DaemonSettings settings(bool require_signed = false) {
    DaemonSettings settings;
    settings.repo = repo.work();
    settings.state_dir = state / "state";
    settings.listen = "off";
    settings.retry = {seconds(10), seconds(60)};
    if (require_signed) {
      state.write("allowed_signers", "alice@example.org " + repo.public_key("alice") + "\n");
      settings.require_signed = true;
      settings.allowed_signers = state / "allowed_signers";
    }
    return settings;
  }

  std::unique_ptr<Daemon> open(DaemonSettings settings) {
    DaemonDependencies deps;
    deps.clock = &clock;
    deps.runner = fake.runner();
    deps.handle_signals = false;
    auto daemon = Daemon::open(std::move(settings), std::move(deps));
    REQUIRE_MESSAGE(daemon.has_value(), daemon.error().message());
    return std::move(*daemon);
  }

  static RunRequest request(TriggerKind kind) { return RunRequest{{kind}, 1}; }
};

}  // namespace

TEST_CASE("a new commit is fetched into the mirror and applied to every host") {
  DaemonFixture f;
  std::string commit = f.repo.commit("two hosts");
  auto daemon = f.open(f.settings());
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  CHECK(daemon->desired_commit() == commit);
  REQUIRE(f.fake.runs.size() == 1);
  CHECK(f.fake.runs[0] == std::vector<std::string>{"web1", "web2"});
  // The runner reads from the accepted commit's tree (the secrets' ciphertext).
  CHECK(f.fake.hosts_yaml == std::vector<std::string>{"address: 10.0.0.1\n"});
  auto runs = MUST(daemon->store().runs(5));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].result == "converged");
  CHECK(runs[0].commit == commit);
  auto values = MUST(daemon->store().values());
  CHECK(values["applied_commit"] == commit);
  CHECK(values["fetched_commit"] == commit);
  CHECK(MUST(daemon->store().host("web1"))->applied_commit == commit);
  // The mirror is bare and holds the commit; the state directory is private.
  CHECK(fs::exists(f.state / "state/mirror.git/HEAD"));
  CHECK((fs::status(f.state / "state").permissions() & fs::perms::others_all) == fs::perms::none);
}

TEST_CASE("a push with an unsigned commit in the middle is refused; the last good state stays") {
  DaemonFixture f;
  std::string good = f.repo.commit("signed", "alice");
  auto daemon = f.open(f.settings(true));
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  REQUIRE(daemon->desired_commit() == good);

  f.repo.write("hosts/web3.yaml", "address: 10.0.0.3\n");
  std::string unsigned_commit = f.repo.commit("add web3 unsigned");
  f.repo.write("hosts/web4.yaml", "address: 10.0.0.4\n");
  std::string tip = f.repo.commit("add web4 signed", "alice");
  f.fake.runs.clear();
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(daemon->desired_commit() == good);
  CHECK(f.fake.runs.empty());  // the refused push triggers nothing on hosts
  auto runs = MUST(daemon->store().runs(1));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].result == "rejected");
  CHECK(runs[0].commit == tip);
  CHECK(runs[0].error.find(unsigned_commit.substr(0, 12)) != std::string::npos);
  CHECK(runs[0].error.find("commit is not signed") != std::string::npos);
  auto values = MUST(daemon->store().values());
  CHECK(values["rejected_commit"] == tip);
  CHECK(values["desired_commit"] == good);

  // Drift repair continues with the last good state, and the refused tip is
  // not checked (or recorded) again at every interval.
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  REQUIRE(f.fake.runs.size() == 1);
  CHECK(f.fake.runs[0] == std::vector<std::string>{"web1", "web2"});
  CHECK(MUST(daemon->store().runs(10)).size() == 3);

  // Rewriting the branch with every commit signed gets it applied.
  REQUIRE(shell(f.repo.git() + " reset -q --hard " + good) == 0);
  f.repo.write("hosts/web3.yaml", "address: 10.0.0.3\n");
  std::string fixed = f.repo.commit("add web3 signed", "alice");
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(daemon->desired_commit() == fixed);
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web1", "web2", "web3"});
  CHECK(MUST(daemon->store().values())["rejected_commit"] == "");
}

TEST_CASE("an invalid commit applies nothing and is reported with its errors") {
  DaemonFixture f;
  std::string good = f.repo.commit("valid");
  auto daemon = f.open(f.settings());
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  f.repo.write("hosts/web2.yaml", "address: 10.0.0.2\nusers:\n  alice: { shel: /bin/sh }\n");
  std::string bad = f.repo.commit("typo");
  f.fake.runs.clear();
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(f.fake.runs.empty());
  CHECK(daemon->desired_commit() == good);
  auto runs = MUST(daemon->store().runs(1));
  CHECK(runs[0].result == "invalid");
  CHECK(runs[0].error.find("hosts/web2.yaml:3:") != std::string::npos);
}

TEST_CASE("a failing host backs off at the same commit while the others run") {
  DaemonFixture f;
  f.repo.commit("two hosts");
  auto daemon = f.open(f.settings());
  f.fake.states["web2"] = HostState::kFailed;
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  CHECK(MUST(daemon->store().runs(1))[0].result == "failed");
  auto web2 = MUST(daemon->store().host("web2"));
  CHECK(web2->status == "failed");
  CHECK(web2->failures == 1);
  REQUIRE(web2->retry_at.has_value());

  // Triggers before the retry time run web1 only.
  f.clock.advance(seconds(5));
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web1"});
  // The retry time: a retry-only run takes just the due host.
  f.clock.advance(seconds(5));
  REQUIRE(daemon->backoff().due(f.clock.now()) == std::vector<std::string>{"web2"});
  daemon->cycle(DaemonFixture::request(TriggerKind::kRetry));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web2"});
  CHECK(MUST(daemon->store().host("web2"))->failures == 2);
  CHECK(*daemon->backoff().retry_at("web2") == f.clock.now() + seconds(20));

  // Fixed: the next due retry converges and clears the record.
  f.fake.states.erase("web2");
  f.clock.advance(seconds(20));
  daemon->cycle(DaemonFixture::request(TriggerKind::kRetry));
  auto fixed = MUST(daemon->store().host("web2"));
  CHECK(fixed->status == "converged");
  CHECK(fixed->failures == 0);
  CHECK_FALSE(fixed->retry_at.has_value());
}

TEST_CASE("changes on a host that had converged at this commit are recorded as drift") {
  DaemonFixture f;
  f.repo.commit("two hosts");
  auto daemon = f.open(f.settings());
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  f.fake.changes["web1"] = 2;
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  auto drift = MUST(daemon->store().drift_events(10));
  REQUIRE(drift.size() == 1);
  CHECK(drift[0].host == "web1");
  CHECK(drift[0].changes == 2);
  CHECK(drift[0].repaired);
  // A new commit's changes are not drift.
  f.repo.write("hosts/web1.yaml", "address: 10.0.0.1\npackages: [curl]\n");
  f.repo.commit("curl on web1");
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(MUST(daemon->store().drift_events(10)).size() == 1);
}

TEST_CASE("a restarted daemon marks the interrupted run and resumes from its desired commit") {
  DaemonFixture f;
  std::string commit = f.repo.commit("signed", "alice");
  {
    auto daemon = f.open(f.settings(true));
    daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
    // A run that never finished, as if the daemon were killed during it.
    (void)MUST(daemon->store().begin_run("interval", commit, 1, 2));
  }
  auto daemon = f.open(f.settings(true));
  CHECK(daemon->desired_commit() == commit);
  auto runs = MUST(daemon->store().runs(5));
  CHECK(runs[0].result == "interrupted");
  f.fake.runs.clear();
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  CHECK(f.fake.runs.size() == 1);
  CHECK(MUST(daemon->store().runs(1))[0].result == "converged");
}

TEST_CASE("one daemon per state directory") {
  DaemonFixture f;
  f.repo.commit("x");
  auto first = f.open(f.settings());
  DaemonDependencies deps;
  deps.clock = &f.clock;
  deps.runner = f.fake.runner();
  auto second = Daemon::open(f.settings(), std::move(deps));
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().message().find("another `reconcile watch`") != std::string::npos);
}

TEST_CASE("a stop during a run starts no new host and records the run as stopped") {
  DaemonFixture f;
  f.repo.commit("two hosts");
  auto daemon = f.open(f.settings());
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  daemon->inbox().request_stop();
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  auto run = MUST(daemon->store().runs(1))[0];
  CHECK(run.result == "stopped");
  CHECK(run.error == "stopped before 2 host(s) started");
}

TEST_CASE("serve: SIGHUP's reload re-reads the signers and re-checks a refused tip; stop ends it") {
  DaemonFixture f;
  std::string tip = f.repo.commit("signed by mallory", "mallory");
  DaemonSettings settings = f.settings(true);  // alice only
  f.state.write("both", "alice@example.org " + f.repo.public_key("alice") +
                            "\nmallory@example.org " + f.repo.public_key("mallory") + "\n");
  DaemonSettings reloaded = settings;
  reloaded.allowed_signers = f.state / "both";
  DaemonDependencies deps;
  deps.runner = f.fake.runner();  // the real clock: serve() waits for real
  deps.handle_signals = false;
  deps.reload = [&] { return Result<DaemonSettings>(reloaded); };
  auto opened = Daemon::open(settings, std::move(deps));
  REQUIRE(opened.has_value());
  Daemon& daemon = **opened;
  int exit_code = -1;
  std::thread loop([&] { exit_code = daemon.serve(); });
  auto wait_until = [&](auto condition) {
    for (int i = 0; i < 300 && !condition(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return condition();
  };
  StateStore reader = must(
      StateStore::open(f.state / "state/state.db", StateStore::Mode::kReadOnly, system_clock()));
  auto result_of_last_run = [&] {
    auto runs = reader.runs(1);
    return runs && !runs->empty() ? (*runs)[0].result : std::string();
  };
  CHECK(wait_until([&] { return result_of_last_run() == "rejected"; }));
  daemon.inbox().request_reload();
  CHECK(wait_until([&] { return result_of_last_run() == "converged"; }));
  auto last = MUST(reader.runs(1));
  CHECK(last[0].commit == tip);
  CHECK(last[0].trigger == "reload");
  daemon.inbox().request_stop();
  loop.join();
  CHECK(exit_code == 0);
  CHECK(MUST(reader.values())["stopped_at"] != "");
}

TEST_CASE("a commit whose rollout stops is held: not re-applied until a new commit or a retry") {
  DaemonFixture f;
  f.repo.write("hosts/web3.yaml", "address: 10.0.0.3\n");
  std::string good = f.repo.commit("three hosts");
  auto daemon = f.open(f.settings());
  daemon->cycle(DaemonFixture::request(TriggerKind::kStartup));
  CHECK(daemon->last_good_commit() == good);
  CHECK(MUST(daemon->store().values())["last_good_commit"] == good);

  // A bad commit: the canary fails, the rollout stops, web1 and web3 are left.
  f.fake.canary = "web2";
  f.fake.states["web2"] = HostState::kFailed;
  f.repo.write("hosts/web1.yaml", "address: 10.0.0.11\n");
  std::string bad = f.repo.commit("bad");
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web2"});
  CHECK(daemon->failed_commit() == bad);
  auto run = MUST(daemon->store().runs(1))[0];
  CHECK(run.result == "failed");
  CHECK(run.error == "rollout stopped: 1 of 1 canary failed in canary; left untouched: web1, web3");
  auto values = MUST(daemon->store().values());
  CHECK(values["failed_commit"] == bad);
  CHECK(values["failed_hosts"] == "web2");
  CHECK(values["applied_commit"] == good);
  // The canary waits for an operator, not for a backoff timer.
  CHECK_FALSE(daemon->backoff().retry_at("web2").has_value());
  CHECK(MUST(daemon->store().host("web1"))->applied_commit == good);

  // The next interval: no host gets the bad commit; the hosts it did not
  // reach get drift repair at the good commit; the canary is left alone.
  f.clock.advance(seconds(60));
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web1", "web3"});
  CHECK(f.fake.hosts_yaml.back() == "address: 10.0.0.1\n");
  run = MUST(daemon->store().runs(1))[0];
  CHECK(run.commit == good);
  CHECK(run.result == "converged");
  CHECK(daemon->failed_commit() == bad);

  // A daemon restarted meanwhile keeps holding the commit.
  daemon.reset();
  daemon = f.open(f.settings());
  CHECK(daemon->failed_commit() == bad);
  CHECK(daemon->last_good_commit() == good);
  daemon->cycle(DaemonFixture::request(TriggerKind::kInterval));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web1", "web3"});

  // `reconcile retry`: the bad commit is rolled out again, canary first.
  daemon->cycle(DaemonFixture::request(TriggerKind::kOperatorRetry));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web2"});
  CHECK(daemon->failed_commit() == bad);

  // A new good commit releases the hold and rolls out to every host.
  f.fake.states.erase("web2");
  f.repo.write("hosts/web1.yaml", "address: 10.0.0.1\n");
  std::string fixed = f.repo.commit("fixed");
  daemon->cycle(DaemonFixture::request(TriggerKind::kPush));
  CHECK(f.fake.runs.back() == std::vector<std::string>{"web2", "web1", "web3"});
  CHECK(daemon->failed_commit().empty());
  CHECK(daemon->last_good_commit() == fixed);
  values = MUST(daemon->store().values());
  CHECK(values["failed_commit"].empty());
  CHECK(values["applied_commit"] == fixed);
}

TEST_CASE("a stuck rollout's host list survives the store") {
  CHECK(join_host_names({"b", "a"}) == "a,b");
  CHECK(split_host_names("a,b") == std::set<std::string>{"a", "b"});
  CHECK(split_host_names("").empty());
  CHECK(split_host_names(",a,,") == std::set<std::string>{"a"});
  CHECK(rollout_failure_text("why", {}) == "rollout stopped: why");
}
