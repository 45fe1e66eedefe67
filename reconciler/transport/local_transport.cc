// One loop per run, like the SSH channel: non-blocking writes to the
// script's stdin and reads from its stdout and stderr, and when nothing
// moves, a wait on whichever pipe could move next or on the process's pidfd
// (readable once it exits), up to the deadline.

#include "reconciler/transport/local_transport.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include "reconciler/transport/framing.h"
#include "reconciler/transport/wait.h"

extern char** environ;

namespace reconcile::transport {

namespace {

using Descriptor = asio::posix::stream_descriptor;

constexpr auto kPollInterval = std::chrono::milliseconds(10);
// After moving this many bytes without waiting, let other coroutines run.
constexpr size_t kFairnessBytes = 1 << 20;

struct Child {
  pid_t pid = -1;
  std::optional<Descriptor> stdin_pipe, stdout_pipe, stderr_pipe, pidfd;
};

Result<Child> spawn_shell(asio::any_io_executor executor, const std::string& command) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return system_error("pipe", errno);
  if (pipe2(out, O_CLOEXEC) != 0) return system_error("pipe", errno);
  if (pipe2(err, O_CLOEXEC) != 0) return system_error("pipe", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // Asio's sockets are not close-on-exec; no script may inherit them.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  Child child;
  int spawned = posix_spawn(&child.pid, "/bin/sh", &actions, &attributes,
                            const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (spawned != 0) {
    ::close(in[1]), ::close(out[0]), ::close(err[0]);
    return system_error("cannot start /bin/sh", spawned);
  }
  for (int fd : {in[1], out[0], err[0]})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  child.stdin_pipe.emplace(executor, in[1]);
  child.stdout_pipe.emplace(executor, out[0]);
  child.stderr_pipe.emplace(executor, err[0]);
  // glibc 2.36 declares pidfd_open without extern "C"; use the system call.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0));
  if (pidfd >= 0) child.pidfd.emplace(executor, pidfd);
  return child;
}

void decode_status(int status, Output& output) {
  if (WIFEXITED(status)) {
    output.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    output.exit_code = -1;
    output.signal = signal_name(WTERMSIG(status));
  }
}

// Reads what one pipe has now (up to kFairnessBytes, so that a script that
// prints without end cannot keep the loop from its deadline) into `sink`;
// closes the pipe at end of file.
size_t drain(std::optional<Descriptor>& pipe, BoundedBuffer& sink) {
  std::array<char, 65536> buffer;
  size_t total = 0;
  while (pipe && total < kFairnessBytes) {
    ssize_t count = ::read(pipe->native_handle(), buffer.data(), buffer.size());
    if (count > 0) {
      sink.append(std::string_view(buffer.data(), static_cast<size_t>(count)));
      total += static_cast<size_t>(count);
      continue;
    }
    if (count < 0 && (errno == EAGAIN || errno == EINTR)) break;
    pipe.reset();  // end of file, or an error that reading again will not fix
  }
  return total;
}

// Writes what stdin takes now; closes it when the feed is done. Returns the
// bytes written (closing counts as 1).
Result<size_t> feed_stdin(std::optional<Descriptor>& pipe, StdinFeed& feed) {
  auto pending = feed.pending();
  if (!pending.has_value()) return std::move(pending).error();
  if (pending->empty()) {
    pipe.reset();
    return size_t{1};
  }
  ssize_t count = ::write(pipe->native_handle(), pending->data(), pending->size());
  if (count < 0) {
    if (errno == EAGAIN || errno == EINTR) return size_t{0};
    pipe.reset();  // EPIPE: the script exited without reading everything
    return size_t{1};
  }
  feed.consume(static_cast<size_t>(count));
  return static_cast<size_t>(count);
}

class LocalTransport : public Transport {
 public:
  explicit LocalTransport(asio::io_context& io) : m_io(io) {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  }

  std::string describe() const override { return "local"; }

  asio::awaitable<Status> connect() override {
    m_stats.connections = 1;
    co_return ok();
  }

  asio::awaitable<Result<Output>> run(std::string_view script, std::string_view input,
                                      const RunOptions& options) override {
    StringInput source(input);
    co_return co_await run_framed(script, &source, !input.empty(), options);
  }

  asio::awaitable<Result<Output>> run_streamed(std::string_view script, InputSource& input,
                                               const RunOptions& options) override {
    co_return co_await run_framed(script, &input, true, options);
  }

  asio::awaitable<void> close() override { co_return; }

  TransportStats stats() const override { return m_stats; }

 private:
  asio::awaitable<Result<Output>> run_framed(std::string_view script, InputSource* input,
                                             bool has_input, const RunOptions& options) {
    m_stats.connections = 1;
    ++m_stats.channels;
    Clock::time_point deadline = Clock::now() + options.timeout;
    StdinFeed feed(script, input);
    CO_TRY_ASSIGN(
        child, spawn_shell(m_io.get_executor(), remote_command(script.size(), has_input, false)));
    BoundedBuffer out(options.max_output), err(options.max_output);
    std::optional<int> status;
    size_t since_yield = 0;
    while (!status || child.stdout_pipe || child.stderr_pipe) {
      size_t progress = 0;
      if (child.stdin_pipe && status) child.stdin_pipe.reset();  // nobody left to read it
      if (child.stdin_pipe) {
        auto written = feed_stdin(child.stdin_pipe, feed);
        if (!written.has_value()) {
          kill_and_reap(child);
          co_return std::move(written).error();
        }
        progress += *written;
        m_stats.bytes_sent += *written;
      }
      size_t received = drain(child.stdout_pipe, out) + drain(child.stderr_pipe, err);
      m_stats.bytes_received += received;
      progress += received;
      if (!status) status = try_reap(child);
      if (status && !child.stdout_pipe && !child.stderr_pipe) continue;
      if (progress > 0) {
        if ((since_yield += progress) >= kFairnessBytes) {
          since_yield = 0;
          co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
          if (Clock::now() >= deadline) {
            kill_and_reap(child);
            co_return timed_out(options);
          }
        }
        continue;
      }
      // Without a pidfd (kernels before 5.3) the exit is polled for.
      Clock::time_point wake = deadline;
      if (!status && !child.pidfd) wake = std::min(deadline, Clock::now() + kPollInterval);
      if (co_await wait_any(waits(child, status.has_value()), wake) == WaitOutcome::kDeadline &&
          Clock::now() >= deadline) {
        kill_and_reap(child);
        co_return timed_out(options);
      }
    }
    Output output;
    decode_status(*status, output);
    output.truncated = out.truncated() || err.truncated();
    output.out = out.release();
    output.err = err.release();
    co_return output;
  }

  static Error timed_out(const RunOptions& options) {
    return deadline_exceeded("local: the script did not finish within " +
                             std::to_string(options.timeout.count()) +
                             " ms; its process group was killed");
  }

  static std::vector<Waitable> waits(Child& child, bool exited) {
    std::vector<Waitable> targets;
    if (child.stdin_pipe) targets.push_back(wait_writable(*child.stdin_pipe));
    if (child.stdout_pipe) targets.push_back(wait_readable(*child.stdout_pipe));
    if (child.stderr_pipe) targets.push_back(wait_readable(*child.stderr_pipe));
    if (!exited && child.pidfd) targets.push_back(wait_readable(*child.pidfd));
    return targets;
  }

  static std::optional<int> try_reap(Child& child) {
    int status = 0;
    if (::waitpid(child.pid, &status, WNOHANG) == child.pid) return status;
    return std::nullopt;
  }

  static void kill_and_reap(Child& child) {
    ::kill(-child.pid, SIGKILL);
    int status = 0;
    // SIGKILL cannot be caught, so this wait is short.
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }

  asio::io_context& m_io;
  TransportStats m_stats;
};

}  // namespace

std::unique_ptr<Transport> make_local_transport(asio::io_context& io) {
  return std::make_unique<LocalTransport>(io);
}

}  // namespace reconcile::transport
