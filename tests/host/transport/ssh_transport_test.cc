// The SSH transport against real sshd servers on private loopback addresses
// (see sshd_fixture.h): authentication, host key checks, timeouts with many
// hosts in parallel, sudo, large input and the quoting round trip.

#include "reconciler/transport/ssh_transport.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <thread>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "reconciler/transport/framing.h"
#include "reconciler/transport/known_hosts.h"
#include "reconciler/transport/ssh_crypto.h"
#include "tests/host/transport/slow_recv.h"
#include "tests/host/transport/sshd_fixture.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

SshClientOptions client_options(std::vector<std::string> keys) {
  SshClientOptions options;
  options.key_files = std::move(keys);
  options.use_agent = false;
  options.known_hosts_file = "/tmp/known_hosts-unused";
  options.connect_timeout = std::chrono::seconds(10);
  return options;
}

SshClientOptions default_client() {
  return client_options({TestKeys::get().client_ed25519.path});
}

SshTarget pinned_target(const std::string& name, const std::string& address, uint16_t port = 22,
                        const std::string& user = "root") {
  return SshTarget{name, address, port, user, TestKeys::get().host_ed25519.public_key};
}

Result<Output> run_once(const SshTarget& target, const SshClientOptions& options,
                        std::string_view script, std::string_view input = "",
                        RunOptions run_options = {}) {
  asio::io_context io;
  auto transport = make_ssh_transport(io, target, options);
  auto output = run_sync(io, transport->run(script, input, run_options));
  run_sync(io, [&]() -> asio::awaitable<int> {
    co_await transport->close();
    co_return 0;
  }());
  return output;
}

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("ssh: key authentication with ed25519, ecdsa and rsa (rsa-sha2-512)") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  const TestKeys& keys = TestKeys::get();
  for (const KeyPair* key : {&keys.client_ed25519, &keys.client_ecdsa, &keys.client_rsa}) {
    CAPTURE(key->path);
    auto output = run_once(pinned_target("web1", "127.0.0.2"), client_options({key->path}),
                           "id -u; echo err >&2; exit 7\n");
    REQUIRE_MESSAGE(output.has_value(), output.error().message() << "\n" << sshd.log());
    CHECK(output->exit_code == 7);
    CHECK(output->out == "0\n");
    CHECK(output->err == "err\n");
  }
}

TEST_CASE("ssh: a key the server does not know is refused") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  auto output = run_once(pinned_target("web1", "127.0.0.2"),
                         client_options({TestKeys::get().client_unknown.path}), "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kUnauthenticated);
  CHECK(output.error().message().find("authentication failed for user root") != std::string::npos);
  CHECK(output.error().message().find(TestKeys::get().client_unknown.path) != std::string::npos);
}

TEST_CASE("ssh: a passphrase-protected key without an agent is a clear error") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  const std::string& path = TestKeys::get().client_encrypted.path;
  auto output = run_once(pinned_target("web1", "127.0.0.2"), client_options({path}), "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kUnauthenticated);
  CHECK(output.error().message().find("key " + path +
                                      " is protected by a passphrase; load it into ssh-agent") !=
        std::string::npos);
}

TEST_CASE("ssh: keys from ssh-agent, including an encrypted key and rsa-sha2-512") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  const TestKeys& keys = TestKeys::get();
  TestAgent agent;
  agent.add(keys.client_encrypted.path, keys.passphrase);
  agent.add(keys.client_rsa.path);
  SshClientOptions options = client_options({keys.client_encrypted.path});
  options.use_agent = true;
  options.agent_socket = agent.socket();
  auto output = run_once(pinned_target("web1", "127.0.0.2"), options, "echo via-agent\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(output->out == "via-agent\n");
  CHECK(sshd.log().find("ED25519") != std::string::npos);

  // Only the agent's RSA key is left to try: it must sign with SHA-2.
  TestSshd rsa_only([&] {
    auto sshd_options = default_sshd_options("127.0.0.3");
    sshd_options.authorized_keys = {keys.client_rsa.public_key};
    return sshd_options;
  }());
  SshClientOptions agent_only = client_options({});
  agent_only.key_files = {keys.client_unknown.path};
  agent_only.use_agent = true;
  agent_only.agent_socket = agent.socket();
  output = run_once(pinned_target("web2", "127.0.0.3"), agent_only, "echo rsa\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message() << "\n" << rsa_only.log());
  CHECK(output->out == "rsa\n");
  // sshd 9.2 refuses SHA-1 RSA signatures, so acceptance proves SHA-2.
  CHECK(rsa_only.log().find("Accepted publickey for root from 127.0.0.1") != std::string::npos);
  CHECK(rsa_only.log().find("ssh2: RSA SHA256:") != std::string::npos);
}

TEST_CASE("ssh: a pinned host key must match exactly") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  auto output = run_once(pinned_target("web1", "127.0.0.2"), default_client(), "true\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message());

  SshTarget wrong = pinned_target("web1", "127.0.0.2");
  wrong.host_key = TestKeys::get().host_other.public_key;
  output = run_once(wrong, default_client(), "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kUnauthenticated);
  std::string message = output.error().message();
  INFO(message);
  CHECK(starts_with(message, "HOST KEY CHANGED for web1 (127.0.0.2:22): expected ED25519 SHA256:"));
  CHECK(message.find("possible man-in-the-middle") != std::string::npos);
  std::string presented(trim(
      must_shell("ssh-keygen -lf " + TestKeys::get().host_ed25519.path + ".pub | cut -d' ' -f2")));
  std::string expected(trim(
      must_shell("ssh-keygen -lf " + TestKeys::get().host_other.path + ".pub | cut -d' ' -f2")));
  CHECK(message.find("expected ED25519 " + expected + ", got ED25519 " + presented) !=
        std::string::npos);
}

TEST_CASE("ssh: known_hosts with hashed entries and [host]:port") {
  TestSshd standard(default_sshd_options("127.0.0.2"));
  TestSshd other_port(default_sshd_options("127.0.0.3", 2222));
  const std::string host_key = TestKeys::get().host_ed25519.public_key;
  TempDir dir;
  std::string known = dir.file("known_hosts");
  write_file(known, "127.0.0.2 " + host_key + "\n[127.0.0.3]:2222 " + host_key + "\n");
  must_shell("ssh-keygen -q -H -f " + known + " 2>/dev/null");
  REQUIRE(read_file(known).find("127.0.0") == std::string::npos);  // all hashed now
  SshClientOptions options = default_client();
  options.known_hosts_file = known;
  for (auto [address, port] :
       {std::pair<std::string, uint16_t>{"127.0.0.2", 22}, {"127.0.0.3", 2222}}) {
    CAPTURE(address);
    auto output = run_once(SshTarget{"web", address, port, "root", ""}, options, "echo known\n");
    REQUIRE_MESSAGE(output.has_value(), output.error().message());
    CHECK(output->out == "known\n");
  }
  // The entry for port 22 must not vouch for the same address on another port.
  TestSshd third(default_sshd_options("127.0.0.2", 2200));
  auto output = run_once(SshTarget{"web", "127.0.0.2", 2200, "root", ""}, options, "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().message().find("unknown host key") != std::string::npos);
}

TEST_CASE("ssh: an unknown host key is refused, or accepted and recorded with accept-new") {
  auto sshd_options = default_sshd_options("127.0.0.2");
  sshd_options.host_keys = {TestKeys::get().host_ecdsa.path};
  TestSshd sshd(sshd_options);
  TempDir dir;
  SshClientOptions options = default_client();
  options.known_hosts_file = dir.file("ssh/known_hosts");
  SshTarget target{"web1", "127.0.0.2", 22, "root", ""};

  auto output = run_once(target, options, "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kUnauthenticated);
  std::string fingerprint(trim(
      must_shell("ssh-keygen -lf " + TestKeys::get().host_ecdsa.path + ".pub | cut -d' ' -f2")));
  CHECK(output.error().message().find("unknown host key for web1 (127.0.0.2:22): ECDSA key "
                                      "fingerprint is " +
                                      fingerprint) != std::string::npos);

  options.accept_new_host_keys = true;
  output = run_once(target, options, "echo first\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(output->out == "first\n");
  // Recorded in a form OpenSSH finds, and accepted without the flag now.
  CHECK(must_shell("ssh-keygen -F 127.0.0.2 -f " + options.known_hosts_file).find("ecdsa-sha2") !=
        std::string::npos);
  options.accept_new_host_keys = false;
  output = run_once(target, options, "echo again\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
}

TEST_CASE("ssh: a server with only an RSA host key gets a handshake error that says why") {
  auto sshd_options = default_sshd_options("127.0.0.2");
  sshd_options.host_keys = {TestKeys::get().host_rsa.path};
  TestSshd sshd(sshd_options);
  SshTarget target{"web1", "127.0.0.2", 22, "root", TestKeys::get().host_rsa.public_key};
  auto output = run_once(target, default_client(), "true\n");
  REQUIRE_FALSE(output.has_value());
  MESSAGE(output.error().message());
  CHECK(output.error().code() == ErrorCode::kUnavailable);
  CHECK(output.error().message().find("SSH handshake failed") != std::string::npos);
  CHECK(output.error().message().find("RSA host keys only with SHA-1") != std::string::npos);
}

TEST_CASE("ssh: a changed host key in known_hosts is refused, even with accept-new") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  TempDir dir;
  SshClientOptions options = default_client();
  options.known_hosts_file = dir.file("known_hosts");
  options.accept_new_host_keys = true;
  write_file(options.known_hosts_file, "127.0.0.2 " + TestKeys::get().host_other.public_key + "\n");
  auto output = run_once(SshTarget{"web1", "127.0.0.2", 22, "root", ""}, options, "true\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(starts_with(output.error().message(), "HOST KEY CHANGED for web1 (127.0.0.2:22)"));
  CHECK(output.error().message().find("ssh-keygen -R") != std::string::npos);
}

TEST_CASE("ssh: a blackholed host times out on its own while 9 others finish") {
  std::vector<std::unique_ptr<TestSshd>> servers;
  for (int i = 0; i < 3; ++i) {
    servers.push_back(
        std::make_unique<TestSshd>(default_sshd_options("127.0.0." + std::to_string(10 + i))));
  }
  blackhole("127.0.0.99", 22);
  asio::io_context io;
  // The timeout is long enough that the 9 others finish well inside it even
  // on a loaded machine (a VM test may run beside this one): what is checked
  // is that they do not wait for the blackholed host, not how fast they are.
  SshClientOptions options = default_client();
  options.connect_timeout = std::chrono::seconds(5);
  std::vector<std::unique_ptr<Transport>> transports;
  std::vector<std::optional<Result<Output>>> results(10);
  std::vector<double> finished(10);
  auto start = steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    std::string address = i == 0 ? "127.0.0.99" : "127.0.0." + std::to_string(10 + i % 3);
    transports.push_back(
        make_ssh_transport(io, pinned_target("host" + std::to_string(i), address), options));
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          results[i].emplace(
              co_await transports[i]->run("echo " + std::to_string(i) + "\n", "", {}));
          finished[i] = seconds_since(start);
        },
        asio::detached);
  }
  io.run();
  REQUIRE(results[0].has_value());
  REQUIRE_FALSE(results[0]->has_value());
  CHECK((*results[0]).error().code() == ErrorCode::kDeadlineExceeded);
  MESSAGE("blackholed host failed after " << finished[0]
                                          << " s: " << (*results[0]).error().message());
  CHECK(finished[0] >= 4.9);
  CHECK(finished[0] < 10.0);
  double slowest = 0;
  for (int i = 1; i < 10; ++i) {
    REQUIRE(results[i].has_value());
    REQUIRE_MESSAGE((*results[i]).has_value(), (*results[i]).error().message());
    CHECK((*results[i])->out == std::to_string(i) + "\n");
    slowest = std::max(slowest, finished[i]);
  }
  MESSAGE("the 9 reachable hosts were done after " << slowest << " s");
  CHECK(slowest < finished[0]);
}

TEST_CASE("ssh: a host that accepts TCP but never speaks SSH times out on its own") {
  // A listening socket that nobody accepts from: the kernel completes the
  // TCP handshake, the SSH banner never comes.
  asio::io_context io;
  asio::ip::tcp::acceptor tarpit(io, {asio::ip::make_address("127.0.0.98"), 22});
  SshClientOptions options = default_client();
  options.connect_timeout = std::chrono::milliseconds(1500);
  auto transport = make_ssh_transport(io, pinned_target("tarpit", "127.0.0.98"), options);
  auto start = steady_clock::now();
  Status status = run_sync(io, transport->connect());
  double elapsed = seconds_since(start);
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code() == ErrorCode::kDeadlineExceeded);
  CHECK(elapsed >= 1.4);
  CHECK(elapsed < 3.0);
}

TEST_CASE("ssh: 50 concurrent sessions on one thread") {
  std::vector<std::unique_ptr<TestSshd>> servers;
  for (int i = 0; i < 5; ++i) {
    servers.push_back(
        std::make_unique<TestSshd>(default_sshd_options("127.0.0." + std::to_string(20 + i))));
  }
  asio::io_context io;
  std::vector<std::unique_ptr<Transport>> transports;
  int succeeded = 0;
  auto start = steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    transports.push_back(make_ssh_transport(
        io, pinned_target("host" + std::to_string(i), "127.0.0." + std::to_string(20 + i % 5)),
        default_client()));
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto output = co_await transports[i]->run("echo " + std::to_string(i) + "\n", "", {});
          if (output.has_value() && output->out == std::to_string(i) + "\n") ++succeeded;
          if (!output.has_value()) MESSAGE(output.error().message());
        },
        asio::detached);
  }
  io.run();
  double elapsed = seconds_since(start);
  MESSAGE("50 sessions (connect + one run each) took " << elapsed << " s");
  CHECK(succeeded == 50);
  for (const auto& transport : transports) {
    CHECK(transport->stats().connections == 1);
    CHECK(transport->stats().channels == 1);
  }
  CHECK(elapsed < 20.0);
}

TEST_CASE("ssh: one session is reused for many runs (and the timing of connect + one run)") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  auto start = steady_clock::now();
  Status connected = run_sync(io, transport->connect());
  double connect_seconds = seconds_since(start);
  REQUIRE_MESSAGE(connected.has_value(), connected.error().message());
  start = steady_clock::now();
  auto first = run_sync(io, transport->run("true\n", "", {}));
  double run_seconds = seconds_since(start);
  REQUIRE(first.has_value());
  start = steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto output = run_sync(io, transport->run("echo " + std::to_string(i) + "\n", "", {}));
    REQUIRE(output.has_value());
    CHECK(output->out == std::to_string(i) + "\n");
  }
  double twenty_seconds = seconds_since(start);
  MESSAGE("connect (TCP + handshake + host key + auth): "
          << connect_seconds * 1000 << " ms; first run: " << run_seconds * 1000
          << " ms; 20 more runs: " << twenty_seconds * 1000 << " ms");
  TransportStats stats = transport->stats();
  CHECK(stats.connections == 1);
  CHECK(stats.channels == 21);
  CHECK(stats.bytes_sent > 0);
  CHECK(stats.bytes_received > 0);
}

TEST_CASE("ssh: concurrent runs on one transport share its one session") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  int succeeded = 0;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto output = co_await transport->run("echo " + std::to_string(i) + "\n", "", {});
          if (output.has_value() && output->out == std::to_string(i) + "\n") ++succeeded;
        },
        asio::detached);
  }
  io.run();
  CHECK(succeeded == 5);
  CHECK(transport->stats().connections == 1);
  CHECK(transport->stats().channels == 5);
}

TEST_CASE("ssh: a run that exceeds its timeout fails alone and the next run reconnects") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  RunOptions quick;
  quick.timeout = milliseconds(800);
  auto start = steady_clock::now();
  auto output = run_sync(io, transport->run("sleep 100\n", "", quick));
  double elapsed = seconds_since(start);
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kDeadlineExceeded);
  CHECK(elapsed < 3.0);
  output = run_sync(io, transport->run("echo back\n", "", {}));
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(output->out == "back\n");
  CHECK(transport->stats().connections == 2);
}

TEST_CASE("ssh: a script that prints without end still times out") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  RunOptions options;
  options.timeout = milliseconds(1000);
  options.max_output = 1 << 20;
  auto start = steady_clock::now();
  auto output =
      run_once(pinned_target("web1", "127.0.0.2"), default_client(), "yes\n", "", options);
  double elapsed = seconds_since(start);
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kDeadlineExceeded);
  CHECK(elapsed < 4.0);
}

// A regression test. Each read of a stream first drains the socket into
// libssh2's queue, for both streams: when the stderr read took in the last
// stdout data together with EOF and close, nothing more came over the
// socket, and the loop, which then waited for the socket, hung until its
// deadline. That happened once in a while on a busy machine. Slowing every
// empty recv() down by 10 ms widens the gap between the two reads; the pause
// in the script sweeps the end of the output across the read loop's timing
// (without the fix, runs with pauses of about 50-58 ms hung here).
TEST_CASE("ssh: output that arrives during another stream's read is not left waiting") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  REQUIRE(run_sync(io, transport->run("true\n", "", {})).has_value());
  SlowRecv slow(10);
  RunOptions quick;
  quick.timeout = milliseconds(3000);
  int failed = 0;
  for (int pause_ms = 0; pause_ms < 120; pause_ms += 2) {
    std::string pause = std::to_string(1000 + pause_ms).substr(1);  // 3 digits
    auto output =
        run_sync(io, transport->run("echo start; sleep 0." + pause + "; echo end\n", "", quick));
    if (!output.has_value() || output->out != "start\nend\n") {
      ++failed;
      MESSAGE("pause " << pause_ms << " ms: "
                       << (output.has_value() ? "output '" + output->out + "'"
                                              : output.error().message()));
    }
  }
  CHECK(failed == 0);
}

TEST_CASE("ssh: a session that died while idle is replaced transparently") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  REQUIRE(run_sync(io, transport->run("true\n", "", {})).has_value());
  sshd.drop_connections();
  std::this_thread::sleep_for(milliseconds(200));
  auto output = run_sync(io, transport->run("echo again\n", "", {}));
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(output->out == "again\n");
  CHECK(transport->stats().connections == 2);
}

TEST_CASE("ssh: exit by signal and bounded output") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  auto output = run_once(pinned_target("web1", "127.0.0.2"), default_client(), "kill -KILL $$\n");
  REQUIRE(output.has_value());
  CHECK(output->exit_code == -1);
  CHECK(output->signal == "KILL");
  RunOptions small;
  small.max_output = 4096;
  output = run_once(pinned_target("web1", "127.0.0.2"), default_client(),
                    "head -c 3000000 /dev/zero; echo tail\n", "", small);
  REQUIRE(output.has_value());
  CHECK(output->exit_code == 0);
  CHECK(output->out.size() == 4096);
  CHECK(output->truncated);
}

TEST_CASE("ssh: a non-root user runs scripts through sudo -n") {
  add_user("rcdeploy", true);
  add_user("rcnosudo", false);
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  auto output = run_once(pinned_target("web1", "127.0.0.2", 22, "rcdeploy"), default_client(),
                         "id -u; echo \"$SUDO_USER\"\n");
  REQUIRE_MESSAGE(output.has_value(), output.error().message() << "\n" << sshd.log());
  CHECK(output->out == "0\nrcdeploy\n");
  // With input: the sudo'd shell reads the script, then the script the input.
  output = run_once(pinned_target("web1", "127.0.0.2", 22, "rcdeploy"), default_client(),
                    "id -u; cat\n", "payload");
  REQUIRE(output.has_value());
  CHECK(output->out == "0\npayload");

  output =
      run_once(pinned_target("web1", "127.0.0.2", 22, "rcnosudo"), default_client(), "id -u\n");
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kPermissionDenied);
  CHECK(output.error().message().find("rcnosudo may not run sudo") != std::string::npos);
}

TEST_CASE("ssh: 10 MiB of streamed stdin arrives intact") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  std::string data(10 << 20, '\0');
  std::mt19937 random(7);
  for (char& c : data)
    c = static_cast<char>(random());
  StringInput input(data);
  asio::io_context io;
  auto transport = make_ssh_transport(io, pinned_target("web1", "127.0.0.2"), default_client());
  auto start = steady_clock::now();
  auto output = run_sync(io, transport->run_streamed("sha256sum | cut -d' ' -f1\n", input, {}));
  double elapsed = seconds_since(start);
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(trim(output->out) == to_hex(sha256(data)));
  MESSAGE("10 MiB over SSH (including connect): " << elapsed << " s");
  CHECK(transport->stats().bytes_sent > uint64_t{10 << 20});
}

TEST_CASE("ssh: every byte 0x01-0xFF survives quoting in a script and as input") {
  TestSshd sshd(default_sshd_options("127.0.0.2"));
  std::string value;
  for (int c = 1; c < 256; ++c)
    value += static_cast<char>(c);
  value += "'\"$(echo no)`echo no`\n-x";
  std::string script = "printf '%s' " + shell_quote(value) + "\nprintf '|'\ncat\n";
  auto output = run_once(pinned_target("web1", "127.0.0.2"), default_client(), script, value);
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  CHECK(output->out == value + "|" + value);
}
