#include "reconciler/transport/framing.h"

#include <string.h>

#include <algorithm>
#include <cstring>

#include "reconciler/base/shell.h"

namespace reconcile::transport {

namespace {
constexpr size_t kChunkSize = 256 * 1024;
}

std::string remote_command(size_t script_size, bool has_input, bool sudo) {
  // `exec` so that no login shell stays in between: a script killed by a
  // signal is then reported as such, not as the shell's status 128+N.
  std::string command = sudo ? "exec sudo -n " : "exec ";
  if (!has_input) return command + "/bin/sh -s";
  // `head -c N` reads at most N bytes (GNU and busybox alike), so the script's
  // own commands find the input exactly where it starts.
  std::string inner = "eval \"$(head -c " + std::to_string(script_size) + ")\"";
  return command + "/bin/sh -c " + shell_quote(inner);
}

void BoundedBuffer::append(std::string_view data) {
  size_t room = m_limit > m_data.size() ? m_limit - m_data.size() : 0;
  if (data.size() > room) {
    m_truncated = true;
    data = data.substr(0, room);
  }
  m_data.append(data);
}

Result<size_t> StringInput::read(char* buffer, size_t capacity) {
  size_t count = std::min(capacity, m_data.size() - m_offset);
  std::memcpy(buffer, m_data.data() + m_offset, count);
  m_offset += count;
  return count;
}

Result<std::string_view> StdinFeed::pending() {
  if (m_done) return std::string_view();
  if (m_script_offset < m_script.size()) {
    // The script goes out straight from the caller's view, in chunks that
    // respect the same bound as the input.
    m_script_offset += m_offset;
    m_total += m_offset;
    m_offset = 0;
    if (m_script_offset < m_script.size()) {
      return m_script.substr(m_script_offset, kChunkSize);
    }
  }
  if (m_offset < m_chunk.size()) return std::string_view(m_chunk).substr(m_offset);
  m_total += m_chunk.size();
  m_chunk.clear();
  m_offset = 0;
  if (m_input != nullptr) {
    m_chunk.resize(kChunkSize);
    auto count = m_input->read(m_chunk.data(), m_chunk.size());
    if (!count.has_value()) {
      m_chunk.clear();
      return std::move(count).error().with_context("reading the input");
    }
    m_chunk.resize(*count);
  }
  if (m_chunk.empty()) {
    m_done = true;
    return std::string_view();
  }
  return std::string_view(m_chunk);
}

std::string signal_name(int signal_number) {
  const char* name = sigabbrev_np(signal_number);
  if (name == nullptr) return "signal " + std::to_string(signal_number);
  return name;
}

}  // namespace reconcile::transport
