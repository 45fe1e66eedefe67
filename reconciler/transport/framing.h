#pragma once

// The parts of the run contract (transport.h) that every implementation
// shares: the constant command line that reads a script from stdin, the
// bounded capture of stdout/stderr, and an InputSource over a string.

#include <cstddef>
#include <string>
#include <string_view>

#include "reconciler/transport/transport.h"

namespace reconcile::transport {

// The command that runs a script of `script_size` bytes sent on stdin:
// `exec /bin/sh -s` when nothing follows the script, otherwise
// `exec /bin/sh -c 'eval "$(head -c N)"'`, which reads exactly the script and
// leaves the rest of stdin to the script's own commands. `sudo` makes it
// `exec sudo -n /bin/sh ...` (never prompts: a missing rule fails at once). The only
// variable part is the decimal N, so no desired-state value ever reaches a
// command line.
std::string remote_command(size_t script_size, bool has_input, bool sudo);

// Collects one stream up to a limit; beyond it the bytes are counted and
// dropped, so that a chatty script can never exhaust the controller's memory.
class BoundedBuffer {
 public:
  explicit BoundedBuffer(size_t limit) : m_limit(limit) {}

  void append(std::string_view data);
  bool truncated() const { return m_truncated; }
  std::string release() { return std::move(m_data); }

 private:
  size_t m_limit;
  bool m_truncated = false;
  std::string m_data;
};

// Streams the bytes of a string view (which must outlive the source).
class StringInput : public InputSource {
 public:
  explicit StringInput(std::string_view data) : m_data(data) {}
  Result<size_t> read(char* buffer, size_t capacity) override;

 private:
  std::string_view m_data;
  size_t m_offset = 0;
};

// Feeds a run's stdin: first the script, then the input source, in chunks.
// Used by the SSH and local transports alike.
class StdinFeed {
 public:
  StdinFeed(std::string_view script, InputSource* input) : m_script(script), m_input(input) {}

  // The bytes not yet written; empty once everything was written
  // (check done()). Refills from the input source when needed.
  Result<std::string_view> pending();
  // Marks `count` bytes of pending() as written.
  void consume(size_t count) { m_offset += count; }
  bool done() const { return m_done; }
  uint64_t bytes_total() const { return m_total; }

 private:
  std::string_view m_script;
  InputSource* m_input;
  size_t m_script_offset = 0;
  std::string m_chunk;
  size_t m_offset = 0;
  bool m_done = false;
  uint64_t m_total = 0;
};

// "KILL" for SIGKILL; "signal 77" for numbers without a name.
std::string signal_name(int signal_number);

}  // namespace reconcile::transport
