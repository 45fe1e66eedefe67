// The daemon's I/O adapters on real sockets and repositories: the trigger
// socket, the HTTP server's limits, and fetching into the mirror.

#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "reconciler/daemon/git_mirror.h"
#include "reconciler/daemon/http_server.h"
#include "reconciler/daemon/trigger_socket.h"
#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;

namespace {

// Runs an io_context on a thread for the test's lifetime.
struct IoThread {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    work.reset();
    io.stop();
    thread.join();
  }
  template <typename F>
  void run(F f) {  // on the io thread, and wait
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
};

}  // namespace

TEST_CASE("reconcile trigger reaches the daemon through the socket") {
  TempDir dir;
  Inbox inbox;
  IoThread io;
  std::unique_ptr<TriggerSocket> socket;
  io.run([&] { socket = MUST(TriggerSocket::start(io.io, dir / "trigger.sock", inbox)); });
  CHECK((fs::status(dir / "trigger.sock").permissions() & fs::perms::others_all) ==
        fs::perms::none);
  for (int i = 0; i < 3; ++i) {
    auto answer = send_trigger(dir / "trigger.sock", std::chrono::seconds(5));
    REQUIRE_MESSAGE(answer.has_value(), answer.error().message());
    CHECK(*answer == "queued");
  }
  Mail mail = inbox.take();
  CHECK(mail.triggers ==
        std::vector<TriggerKind>{TriggerKind::kPush, TriggerKind::kPush, TriggerKind::kPush});
  io.run([&] { socket->stop(); });
  CHECK_FALSE(fs::exists(dir / "trigger.sock"));
  auto down = send_trigger(dir / "trigger.sock", std::chrono::seconds(1));
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code() == ErrorCode::kUnavailable);
}

TEST_CASE("a stale socket file left by a killed daemon is replaced") {
  TempDir dir;
  dir.write("trigger.sock", "stale");
  Inbox inbox;
  IoThread io;
  std::unique_ptr<TriggerSocket> socket;
  io.run([&] { socket = MUST(TriggerSocket::start(io.io, dir / "trigger.sock", inbox)); });
  CHECK(send_trigger(dir / "trigger.sock", std::chrono::seconds(5)).has_value());
  io.run([&] { socket.reset(); });
}

TEST_CASE("the HTTP server answers, and refuses oversized headers and bodies") {
  TempDir dir;
  FakeClock clock;
  auto writer = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  auto reader = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadOnly, clock));
  Inbox inbox;
  HttpApi api(reader, inbox, clock);
  IoThread io;
  std::unique_ptr<HttpServer> server;
  io.run([&] { server = MUST(HttpServer::start(io.io, "127.0.0.1", 0, api)); });
  std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  auto curl = [&](const std::string& args) {
    return trimmed(shell_output("curl -s -o /dev/null -w '%{http_code}' " + args));
  };
  CHECK(trimmed(shell_output("curl -s " + base + "/healthz")) == "ok");
  CHECK(curl(base + "/api/v1/hosts") == "200");
  CHECK(curl("-X POST " + base + "/hooks/git -d x") == "403");
  CHECK(curl("-H 'X-Big: " + std::string(9000, 'a') + "' " + base + "/healthz") == "431");
  dir.write("big", std::string(20000, 'x'));
  CHECK(curl("-X POST --data-binary @" + (dir / "big") + " " + base + "/api/v1/reconcile") ==
        "413");
  CHECK(curl("-I " + base + "/metrics") == "200");
  io.run([&] { server->stop(); });
}

TEST_CASE("fetching a branch into the bare mirror, and its errors") {
  SignedRepo repo;
  repo.write("hosts/web1.yaml", "address: 10.0.0.1\n");
  std::string first = repo.commit("first");
  TempDir state;
  FetchSettings settings;
  settings.url = repo.work();
  settings.branch = "main";
  auto tip = fetch_mirror(state / "mirror.git", settings);
  REQUIRE_MESSAGE(tip.has_value(), tip.error().message());
  CHECK(*tip == first);
  CHECK(fs::exists(state / "mirror.git/objects"));
  CHECK_FALSE(fs::exists(state / "mirror.git/hosts"));  // bare: no working tree
  CHECK(commit_time(state / "mirror.git", first) > 1600000000);

  // A force push (history rewritten) is followed.
  REQUIRE(shell(repo.git() + " commit -q --amend -m rewritten") == 0);
  settings.url = "file://" + repo.work();
  auto rewritten = fetch_mirror(state / "mirror.git", settings);
  REQUIRE(rewritten.has_value());
  CHECK(*rewritten == repo.head());
  CHECK(*rewritten != first);

  settings.branch = "nope";
  auto missing = fetch_mirror(state / "mirror.git", settings);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);

  settings.branch = "main";
  settings.url = state / "does-not-exist";
  auto gone = fetch_mirror(state / "mirror.git", settings);
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().is_retryable());

  state.write("not-a-repo/file", "x");
  settings.url = repo.work();
  auto clash = fetch_mirror(state / "not-a-repo", settings);
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().code() == ErrorCode::kFailedPrecondition);
}

TEST_CASE("URLs: passwords redacted, SSH endpoints found") {
  CHECK(redact_url("https://user:s3cret@git.example.org/infra.git") ==
        "https://user:***@git.example.org/infra.git");
  CHECK(redact_url("https://git.example.org/a@b") == "https://git.example.org/a@b");
  CHECK(redact_url("ssh://git@host/repo") == "ssh://git@host/repo");
  CHECK(redact_url("/srv/infra.git") == "/srv/infra.git");
  CHECK(ssh_endpoint("ssh://git@host.example:2222/infra.git").host == "host.example");
  CHECK(ssh_endpoint("ssh://git@host.example:2222/infra.git").port == 2222);
  CHECK(ssh_endpoint("ssh://[::1]:22/x").host == "::1");
  CHECK(ssh_endpoint("git@10.0.0.5:infra.git").host == "10.0.0.5");
  CHECK(ssh_endpoint("git@10.0.0.5:infra.git").port == 22);
  CHECK(ssh_endpoint("/srv/infra.git").host.empty());
  CHECK(ssh_endpoint("https://host/x").host.empty());
}
