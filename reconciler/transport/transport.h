#pragma once

// The seam between the controller and a host. Everything that runs on a host
// goes through a Transport: the SSH transport (libssh2 on Boost.Asio), the
// local transport (`address: local`, /bin/sh on the controller itself), and
// the fake used by unit tests.
//
// Contract for every implementation:
// - A script is sent on stdin to `/bin/sh -s` (wrapped in `sudo -n` when the
//   SSH user is not root, and preceded by `exec` so that the login shell does
//   not stay in between). It is never pasted into a command line.
// - When `input` is non-empty, the bytes follow the script on the same stdin:
//   the shell first reads exactly the script's length (the command line then
//   is the constant `/bin/sh -c 'eval "$(head -c N)"'`, N the script's byte
//   count), so the script's own commands (e.g. `cat > file`) read exactly
//   `input` after it, intact, whatever the bytes.
// - stdout and stderr are captured up to RunOptions::max_output each; beyond
//   that the rest is discarded and Output::truncated is set.
// - All methods are asynchronous on the io_context the transport was created
//   with; no method blocks the thread. One host's stall never delays others.
// - Arguments passed by reference or view must outlive the awaited call.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "reconciler/transport/asio.h"

namespace reconcile::transport {

struct Output {
  int exit_code = -1;  // the script's exit status; -1 if it died from a signal
  std::string signal;  // the signal's name without "SIG" ("KILL") when exit_code is -1
  std::string out;     // stdout
  std::string err;     // stderr
  bool truncated = false;
};

struct RunOptions {
  // The whole run, from opening the channel to the exit status (a connect
  // that the run needs first has its own timeout). On expiry the run fails
  // with kDeadlineExceeded and the channel is closed: over SSH the whole
  // connection is dropped (the next run reconnects); locally the script's
  // process group is killed.
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  size_t max_output = 64u << 20;
};

// Counters for the figures the benchmarks report.
struct TransportStats {
  int connections = 0;  // TCP connections + SSH handshakes made
  int channels = 0;     // SSH channels (or local processes) opened
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;

  TransportStats& operator+=(const TransportStats& other) {
    connections += other.connections;
    channels += other.channels;
    bytes_sent += other.bytes_sent;
    bytes_received += other.bytes_received;
    return *this;
  }
};

// A source of bytes streamed after a script: returns the number of bytes put
// into `buffer`, 0 at the end.
class InputSource {
 public:
  virtual ~InputSource() = default;
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // "root@203.0.113.10:22", "local", for messages.
  virtual std::string describe() const = 0;

  // The TCP port the transport connects to (the one that answered, for a
  // transport that tries several); 0 for transports without a network.
  virtual int port() const { return 0; }

  // Opens the connection: TCP connect, SSH handshake, host key verification,
  // authentication. Idempotent: a connected transport returns ok at once.
  // Errors: kUnavailable or kDeadlineExceeded for network trouble (retryable),
  // kUnauthenticated for an unknown or changed host key or failed auth.
  virtual asio::awaitable<Status> connect() = 0;

  // Runs a script as described above. A non-zero exit is not an error: it is
  // in Output::exit_code. Errors are for the transport itself (connection
  // lost, timeout). Connects first if needed. Concurrent calls on one
  // transport are allowed and run one after the other.
  virtual asio::awaitable<Result<Output>> run(std::string_view script, std::string_view input,
                                              const RunOptions& options) = 0;
  // Same, with a streamed input of any size (e.g. a root file system image).
  virtual asio::awaitable<Result<Output>> run_streamed(std::string_view script, InputSource& input,
                                                       const RunOptions& options) = 0;

  // Closes the session. Safe to call twice.
  virtual asio::awaitable<void> close() = 0;

  virtual TransportStats stats() const = 0;
};

}  // namespace reconcile::transport
