// The local transport runs real scripts with /bin/sh, under the same
// contract as SSH: exit codes, stderr, bounded output, stdin framing and
// timeouts that kill the whole process group.

#include "reconciler/transport/local_transport.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_crypto.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;

namespace {

Result<Output> run_local(std::string_view script, std::string_view input = "",
                         RunOptions options = {}) {
  asio::io_context io;
  auto transport = make_local_transport(io);
  return run_sync(io, transport->run(script, input, options));
}

// An input source that yields `size` pseudo-random bytes in odd-sized pieces.
class RandomInput : public InputSource {
 public:
  explicit RandomInput(size_t size) : m_left(size) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    size_t count = std::min({capacity, m_left, size_t{77777}});
    for (size_t i = 0; i < count; ++i)
      buffer[i] = static_cast<char>(m_random());
    m_consumed.append(buffer, count);
    m_left -= count;
    return count;
  }
  const std::string& consumed() const { return m_consumed; }

 private:
  size_t m_left;
  std::mt19937 m_random{42};
  std::string m_consumed;
};

}  // namespace

TEST_CASE("local: exit code, stdout and stderr") {
  auto output = run_local("echo out; echo err >&2; exit 3\n");
  REQUIRE(output.has_value());
  CHECK(output->exit_code == 3);
  CHECK(output->out == "out\n");
  CHECK(output->err == "err\n");
  CHECK_FALSE(output->truncated);
}

TEST_CASE("local: the script is read from stdin, not the command line") {
  // `ps` would show a script pasted into argv; $0 and the arguments of the
  // shell show what the command line was.
  auto output = run_local("printf '%s|%s' \"$0\" \"$*\"\n");
  REQUIRE(output.has_value());
  CHECK(output->out == "/bin/sh|");
}

TEST_CASE("local: a script killed by a signal reports the signal") {
  auto output = run_local("kill -TERM $$\n");
  REQUIRE(output.has_value());
  CHECK(output->exit_code == -1);
  CHECK(output->signal == "TERM");
}

TEST_CASE("local: output beyond max_output is dropped and flagged") {
  RunOptions options;
  options.max_output = 1000;
  auto output = run_local("head -c 100000 /dev/zero; head -c 5 /dev/zero >&2\n", "", options);
  REQUIRE(output.has_value());
  CHECK(output->exit_code == 0);
  CHECK(output->out.size() == 1000);
  CHECK(output->err.size() == 5);
  CHECK(output->truncated);
}

TEST_CASE("local: a timeout kills the process group quickly") {
  TempDir dir;
  RunOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  // A child in the background holds stdout open too: the whole group dies.
  std::string pids = dir.file("pids");
  auto output = run_local(
      "sleep 100 & echo $! > " + pids + "; echo $$ >> " + pids + "; sleep 100\n", "", options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kDeadlineExceeded);
  CHECK(elapsed < std::chrono::seconds(3));
  std::vector<std::string> started = split(std::string(trim(read_file(pids))), '\n');
  REQUIRE(started.size() == 2);
  for (const std::string& pid : started) {
    CAPTURE(pid);
    // The background sleep was reparented to whichever process reaps
    // orphans here, which may leave it a zombie for a while: dead either way.
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      std::string stat = read_file("/proc/" + pid + "/stat");
      size_t close = stat.rfind(')');
      gone = stat.empty() || (close != std::string::npos && stat.substr(close + 2, 1) == "Z");
      if (!gone) usleep(10000);
    }
    CHECK(gone);
  }
}

TEST_CASE("local: a script that prints without end still times out") {
  RunOptions options;
  options.timeout = std::chrono::milliseconds(500);
  options.max_output = 1 << 20;
  auto start = std::chrono::steady_clock::now();
  auto output = run_local("yes\n", "", options);
  REQUIRE_FALSE(output.has_value());
  CHECK(output.error().code() == ErrorCode::kDeadlineExceeded);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("local: input follows the script intact") {
  std::string input;
  for (int i = 0; i < 256; ++i)
    input += static_cast<char>(i);
  input += "\n'\"$(x)`y`";
  auto output = run_local("cat\n", input);
  REQUIRE(output.has_value());
  CHECK(output->exit_code == 0);
  CHECK(output->out == input);
}

TEST_CASE("local: a script that reads only part of its input still finishes") {
  std::string input(4 << 20, 'x');
  auto output = run_local("head -c 10 >/dev/null; echo done\n", input);
  REQUIRE(output.has_value());
  CHECK(output->out == "done\n");
}

TEST_CASE("local: 10 MiB streamed input arrives intact (sha256)") {
  RandomInput input(10 << 20);
  asio::io_context io;
  auto transport = make_local_transport(io);
  auto output = run_sync(io, transport->run_streamed("sha256sum | cut -d' ' -f1\n", input, {}));
  REQUIRE(output.has_value());
  REQUIRE(input.consumed().size() == size_t{10 << 20});
  CHECK(trim(output->out) == to_hex(sha256(input.consumed())));
  CHECK(transport->stats().channels == 1);
  CHECK(transport->stats().bytes_sent >= uint64_t{10 << 20});
}

TEST_CASE("local: many runs progress concurrently on one thread") {
  asio::io_context io;
  auto transport = make_local_transport(io);
  int finished = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto output = co_await transport->run("sleep 0.5; echo ok\n", "", {});
          if (output.has_value() && output->out == "ok\n") ++finished;
        },
        asio::detached);
  }
  io.run();
  CHECK(finished == 10);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(transport->stats().channels == 10);
}
