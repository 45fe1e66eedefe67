// Health checks: which tool a host's facts choose, the check scripts run by a
// real /bin/sh through the local transport (passing, failing with retries,
// timing out, TCP against a socket of this test), reading their output, and
// the engine running the checks after apply.

#include "reconciler/health.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "reconciler/engine.h"
#include "reconciler/transport/fake_transport.h"
#include "reconciler/transport/local_transport.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using state::HealthCheck;
using state::HealthKind;
using transport::testing::run_sync;

namespace {

HealthCheck command_check(const std::string& command, int retries = 0) {
  HealthCheck check;
  check.kind = HealthKind::kCommand;
  check.command = command;
  check.retries = retries;
  check.interval_seconds = 0;
  check.timeout_seconds = 5;
  return check;
}

HealthCheck tcp_check(int port) {
  HealthCheck check;
  check.kind = HealthKind::kTcp;
  check.target = "127.0.0.1";
  check.port = port;
  check.retries = 0;
  check.timeout_seconds = 3;
  return check;
}

modules::SystemFacts facts_with(std::set<std::string> tools) {
  modules::SystemFacts system;
  system.kernel = "6.1";
  system.tools = std::move(tools);
  return system;
}

// Runs the checks of a host on this machine through the local transport.
HostReport run_checks(std::vector<HealthCheck> checks, std::set<std::string> tools) {
  state::Host host;
  host.name = "local";
  host.health = std::move(checks);
  HostReport report;
  report.status = HostStatus::kConverged;
  report.facts.system = facts_with(std::move(tools));
  asio::io_context io;
  auto transport = transport::make_local_transport(io);
  auto progress = make_progress({}, false, true);
  run_sync(io, [&]() -> asio::awaitable<bool> {
    co_await run_health_checks(host, *transport, *progress, report);
    co_return true;
  }());
  return report;
}

// A listening TCP socket on 127.0.0.1 and an ephemeral port, closed at the end.
class Listener {
 public:
  Listener() {
    m_fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(m_fd, 16) == 0);
    socklen_t length = sizeof address;
    REQUIRE(getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    m_port = ntohs(address.sin_port);
  }
  ~Listener() { close(m_fd); }
  int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
};

// A port nothing listens on: bound and closed again.
int closed_port() {
  Listener listener;
  return listener.port();
}

}  // namespace

TEST_CASE("the tool for a check comes from the host's facts") {
  HealthCheck http;
  http.kind = HealthKind::kHttp;
  HealthCheck https = http;
  https.https = true;
  HealthCheck tcp = tcp_check(443);
  CHECK(health_tool(command_check("true"), facts_with({})) == "sh");
  CHECK(health_tool(http, facts_with({"curl", "wget", "bash"})) == "curl");
  CHECK(health_tool(http, facts_with({"wget", "bash"})) == "wget");
  CHECK(health_tool(http, facts_with({"bash"})) == "bash");
  CHECK(health_tool(https, facts_with({"bash"})) == "");
  CHECK(health_tool(https, facts_with({"wget"})) == "wget");
  CHECK(health_tool(http, facts_with({"nc", "python3"})) == "");
  CHECK(health_tool(tcp, facts_with({"curl", "python3", "nc", "bash"})) == "bash");
  CHECK(health_tool(tcp, facts_with({"python3", "nc"})) == "nc");
  CHECK(health_tool(tcp, facts_with({"python3"})) == "python3");
  CHECK(health_tool(tcp, facts_with({"curl"})) == "");
  CHECK(missing_tool_message(https).find("neither curl nor wget") != std::string::npos);
}

TEST_CASE("descriptions") {
  HealthCheck http;
  http.kind = HealthKind::kHttp;
  http.url = "http://127.0.0.1/healthz";
  CHECK(describe_check(http) == "http: http://127.0.0.1/healthz (expect 2xx)");
  http.expect = 204;
  CHECK(describe_check(http) == "http: http://127.0.0.1/healthz (expect 204)");
  HealthCheck tcp = tcp_check(443);
  tcp.target = "::1";
  CHECK(describe_check(tcp) == "tcp: [::1]:443");
  CHECK(describe_check(command_check("pidof x")) == "command: pidof x");
  HealthCheck timed = command_check("true", 3);
  timed.interval_seconds = 2;
  timed.timeout_seconds = 30;
  CHECK(describe_timing(timed) == "timeout 30s, 4 attempts 2s apart");
  CHECK(describe_timing(command_check("true")) == "timeout 5s, 1 attempt");
}

TEST_CASE("a passing command check: one round trip, one attempt") {
  HostReport report = run_checks({command_check("test 1 = 1")}, {"timeout"});
  REQUIRE(report.health.size() == 1);
  CHECK(report.health[0].passed);
  CHECK(report.health[0].attempts == 1);
  CHECK(report.health[0].tool == "sh");
  CHECK(report.status == HostStatus::kConverged);
  CHECK(report.round_trips == 1);
}

TEST_CASE("a failing command is retried in the same round trip; its output is the reason") {
  HostReport report = run_checks({command_check("echo 'it'\"'\"'s $(down)'; exit 7", 2)}, {});
  REQUIRE(report.health.size() == 1);
  CHECK_FALSE(report.health[0].passed);
  CHECK(report.health[0].attempts == 3);
  CHECK(report.round_trips == 1);
  CHECK(report.health[0].message == "3 attempts failed; last: it's $(down); exit 7");
  CHECK(report.status == HostStatus::kFailed);
  CHECK(report.error ==
        "health check failed: command: echo 'it'\"'\"'s $(down)'; exit 7: 3 attempts failed; "
        "last: it's $(down); exit 7");
}

TEST_CASE("a check that passes on a later attempt passes") {
  transport::testing::TempDir dir;
  std::string marker = dir.file("tries");
  // Fails until the third attempt.
  std::string command = "echo x >> " + marker + "; [ $(wc -l < " + marker + ") -ge 3 ]";
  HostReport report = run_checks({command_check(command, 5)}, {"timeout"});
  REQUIRE(report.health.size() == 1);
  CHECK(report.health[0].passed);
  CHECK(report.health[0].attempts == 3);
}

TEST_CASE("an attempt that outlives its timeout is cut off and said so") {
  HealthCheck check = command_check("sleep 30");
  check.timeout_seconds = 1;
  HostReport report = run_checks({check}, {"timeout"});
  REQUIRE(report.health.size() == 1);
  CHECK_FALSE(report.health[0].passed);
  CHECK(report.health[0].message == "1 attempt failed; last: timed out after 1s");
  CHECK(report.health[0].seconds < 10);
}

TEST_CASE("the first failing check stops the others") {
  HostReport report =
      run_checks({command_check("true"), command_check("false"), command_check("true")}, {});
  REQUIRE(report.health.size() == 2);
  CHECK(report.health[0].passed);
  CHECK_FALSE(report.health[1].passed);
  CHECK(report.round_trips == 2);
}

TEST_CASE("tcp checks with bash and python3 against a socket of this test") {
  Listener listener;
  int refused = closed_port();
  for (const char* tool : {"bash", "python3"}) {
    CAPTURE(std::string(tool));
    HostReport open = run_checks({tcp_check(listener.port())}, {tool, "timeout"});
    REQUIRE(open.health.size() == 1);
    CHECK(open.health[0].tool == tool);
    CHECK(open.health[0].passed);
    HostReport closed = run_checks({tcp_check(refused)}, {tool, "timeout"});
    REQUIRE(closed.health.size() == 1);
    CHECK_FALSE(closed.health[0].passed);
    CHECK(closed.health[0].message.find("cannot connect to 127.0.0.1:" + std::to_string(refused)) !=
          std::string::npos);
  }
}

TEST_CASE("a host without a tool fails the check without running anything") {
  HostReport report = run_checks({tcp_check(443)}, {"curl"});
  REQUIRE(report.health.size() == 1);
  CHECK_FALSE(report.health[0].passed);
  CHECK(report.round_trips == 0);
  CHECK(report.error.find("none of bash, nc or python3") != std::string::npos);
}

TEST_CASE("check output that went wrong on the way") {
  HealthResult lost;
  read_health_output(unavailable("connection lost"), lost);
  CHECK_FALSE(lost.passed);
  CHECK(lost.message == "connection lost");

  transport::Output garbled;
  garbled.exit_code = 2;
  garbled.err = "sh: 1: syntax error\n";
  HealthResult broken;
  read_health_output(garbled, broken);
  CHECK_FALSE(broken.passed);
  CHECK(broken.message == "the check script exited with 2: sh: 1: syntax error");

  transport::Output lying;  // says passed but exits non-zero
  lying.exit_code = 1;
  lying.out = "reconcile-health passed 1\n";
  HealthResult result;
  read_health_output(lying, result);
  CHECK_FALSE(result.passed);
}

TEST_CASE("the deadline covers every attempt and pause") {
  HealthCheck check = command_check("true", 4);
  check.timeout_seconds = 10;
  check.interval_seconds = 3;
  CHECK(health_deadline(check) >= std::chrono::seconds(5 * 10 + 4 * 3));
}

// --- the engine runs the checks -----------------------------------------

namespace {

const char* kSystemWithTools =
    "kernel 6.1\narch x86_64\nhostname h\nboot bios\ninit systemd\npkg apt\nmem_kib 1000\n"
    "uid 0\nsecrets_tmpfs no\ntool bash\ntool timeout\n";

// Answers probes with the given groups section and health scripts with
// `health_exit`; records the health scripts.
struct CheckedHost {
  std::vector<std::string> groups;  // one per probe, the last repeats
  int health_exit = 0;
  int probes = 0;
  std::vector<std::string> health_scripts;

  Result<transport::Output> answer(const transport::FakeTransport::Call& call) {
    transport::Output output;
    output.exit_code = 0;
    static const std::regex marker("@@reconcile-([0-9a-f]{32}) begin ([a-z0-9-]+)@@");
    std::smatch match;
    if (call.script.find("attempt()") != std::string::npos) {
      health_scripts.push_back(call.script);
      output.exit_code = health_exit;
      output.out = health_exit == 0 ? "reconcile-health passed 1\n"
                                    : "reconcile-health failed 2\nConnection refused\n";
      return output;
    }
    if (!std::regex_search(call.script, match, marker)) return output;  // a change
    std::string nonce = match[1];
    std::string group = groups[std::min<size_t>(probes++, groups.size() - 1)];
    auto begin = call.script.cbegin();
    while (std::regex_search(begin, call.script.cend(), match, marker)) {
      std::string section = match[2];
      std::string text = section == "system" ? kSystemWithTools : section == "groups" ? group : "";
      output.out += "@@reconcile-" + nonce + " begin " + section + "@@\n" + text +
                    "\n@@reconcile-" + nonce + " end " + section + " 0@@\n";
      begin = match.suffix().first;
    }
    return output;
  }
};

std::vector<HostReport> engine_run(const state::Host& host, CheckedHost& simulated, bool dry_run) {
  TransportFactory factory =
      [&](asio::io_context&, const state::Host&) -> Result<std::unique_ptr<transport::Transport>> {
    auto fake = std::make_unique<transport::FakeTransport>(host.name);
    fake->set_responder([&simulated](const transport::FakeTransport::Call& call) {
      return simulated.answer(call);
    });
    return std::unique_ptr<transport::Transport>(std::move(fake));
  };
  EngineOptions options;
  options.dry_run = dry_run;
  auto progress = make_progress({}, false, true);
  return run_hosts({&host}, factory, options, *progress);
}

}  // namespace

TEST_CASE("engine: checks run after a converged apply, on the same transport") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\nhealth: [{ tcp: 8080 }]\n");
  CheckedHost simulated;
  simulated.groups = {"", "ops:x:2000:\n"};
  auto reports = engine_run(host, simulated, false);
  REQUIRE(simulated.health_scripts.size() == 1);
  CHECK(simulated.health_scripts[0].find("/dev/tcp/$1/$2") != std::string::npos);
  CHECK(simulated.health_scripts[0].find("timeout -k 2 10 bash") != std::string::npos);
  CHECK(reports[0].status == HostStatus::kConverged);
  CHECK(reports[0].round_trips == 4);  // probe, change, re-probe, check
  REQUIRE(reports[0].health.size() == 1);
  CHECK(reports[0].health[0].passed);
}

TEST_CASE("engine: a failing check fails the host (exit 3)") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\nhealth: [{ tcp: 8080 }]\n");
  CheckedHost simulated;
  simulated.groups = {"", "ops:x:2000:\n"};
  simulated.health_exit = 1;
  auto reports = engine_run(host, simulated, false);
  CHECK(reports[0].status == HostStatus::kFailed);
  CHECK(reports[0].error ==
        "health check failed: tcp: 127.0.0.1:8080: 2 attempts failed; last: Connection refused");
  CHECK(exit_code_for(reports) == 3);
}

TEST_CASE("engine: a host with nothing to change is still checked; a dry run is not") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\nhealth: [{ command: \"true\" }]\n");
  CheckedHost simulated;
  simulated.groups = {"ops:x:2000:\n"};
  auto applied = engine_run(host, simulated, false);
  CHECK(simulated.health_scripts.size() == 1);
  CHECK(applied[0].round_trips == 2);

  CheckedHost planned;
  planned.groups = {""};
  auto dry = engine_run(host, planned, true);
  CHECK(planned.health_scripts.empty());
  CHECK(dry[0].status == HostStatus::kChangesPending);
  CHECK(dry[0].health.empty());
}

TEST_CASE("engine: a host that did not converge is not checked") {
  state::Host host = host_from_yaml("groups:\n  ops: {}\nhealth: [{ command: \"true\" }]\n");
  CheckedHost simulated;
  simulated.groups = {""};  // the group never appears
  auto reports = engine_run(host, simulated, false);
  CHECK(reports[0].status == HostStatus::kNotConverged);
  CHECK(simulated.health_scripts.empty());
}
