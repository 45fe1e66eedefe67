#include "reconciler/transport/ssh_transport.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "reconciler/transport/framing.h"
#include "reconciler/transport/host_key_check.h"
#include "reconciler/transport/ssh_auth.h"
#include "reconciler/transport/ssh_channel.h"
#include "reconciler/transport/ssh_session.h"
#include "reconciler/transport/wait.h"

namespace reconcile::transport {

namespace {

// How long a polite goodbye may take before the connection is just dropped.
constexpr auto kCloseGrace = std::chrono::seconds(2);

std::string home_directory() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return home;
  struct passwd* entry = getpwuid(getuid());
  return entry != nullptr ? entry->pw_dir : "/";
}

std::string milliseconds(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

class SshTransport : public Transport {
 public:
  SshTransport(asio::io_context& io, SshTarget target, const SshClientOptions& options)
      : m_io(io), m_target(std::move(target)), m_options(options) {
    m_auth.key_files = m_options.key_files;
    m_auth.key_files_explicit = !m_options.key_files.empty();
    if (m_auth.key_files.empty()) m_auth.key_files = default_key_files();
    if (m_options.use_agent) {
      m_auth.agent_socket = m_options.agent_socket;
      const char* from_environment = std::getenv("SSH_AUTH_SOCK");
      if (m_auth.agent_socket.empty() && from_environment != nullptr) {
        m_auth.agent_socket = from_environment;
      }
    }
    m_policy.host_name = m_target.name;
    m_policy.address = m_target.address;
    m_policy.port = m_target.port;
    m_policy.pinned_key = m_target.host_key;
    m_policy.known_hosts_file = m_options.known_hosts_file.empty() ? default_known_hosts_file()
                                                                   : m_options.known_hosts_file;
    m_policy.accept_new = m_options.accept_new_host_keys;
    m_policy.same_host_ports = m_target.same_host_ports;
  }

  ~SshTransport() override {
    if (m_session) m_session->abort();
  }

  std::string describe() const override {
    return m_target.user + "@" + m_target.address + ":" + std::to_string(m_target.port);
  }

  int port() const override { return m_target.port; }

  asio::awaitable<Status> connect() override {
    auto guard = co_await m_lock.lock();
    co_return co_await connect_locked();
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

  asio::awaitable<void> close() override {
    auto guard = co_await m_lock.lock();
    if (m_session) {
      co_await m_session->close(Clock::now() + kCloseGrace);
      drop_session();
    }
  }

  TransportStats stats() const override {
    TransportStats stats = m_stats;
    if (m_session) {
      stats.bytes_sent += m_session->bytes_sent();
      stats.bytes_received += m_session->bytes_received();
    }
    return stats;
  }

 private:
  asio::awaitable<Status> connect_locked() {
    if (m_session && m_session->is_open()) co_return ok();
    drop_session();
    Clock::time_point deadline = Clock::now() + m_options.connect_timeout;
    m_session = std::make_unique<SshSession>(m_io.get_executor());
    ++m_stats.connections;
    Status status = co_await open_and_authenticate(deadline);
    if (!status.has_value()) drop_session();
    co_return status;
  }

  // Errors name the host: host key errors in their own words ("HOST KEY
  // CHANGED for web1 (...)"), the others with "web1 (root@addr:22): ".
  asio::awaitable<Status> open_and_authenticate(Clock::time_point deadline) {
    std::string context = m_target.name + " (" + describe() + ")";
    Status opened = co_await m_session->open(m_target.address, m_target.port,
                                             host_key_methods(m_policy), deadline);
    if (!opened.has_value())
      co_return with_timeout(std::move(opened).error()).with_context(context);
    CO_TRY_ASSIGN(host_key, m_session->host_key());
    Status verified = verify_host_key(m_policy, host_key);
    if (!verified.has_value()) {
      co_await m_session->close(std::min(deadline, Clock::now() + kCloseGrace));
      co_return verified;
    }
    Status authenticated = co_await authenticate(*m_session, m_target.user, m_auth, deadline);
    if (!authenticated.has_value()) {
      co_return with_timeout(std::move(authenticated).error()).with_context(context);
    }
    co_return ok();
  }

  Error with_timeout(Error error) const {
    if (error.code() != ErrorCode::kDeadlineExceeded) return error;
    return deadline_exceeded("no connection within " + milliseconds(m_options.connect_timeout) +
                             ": " + error.message());
  }

  asio::awaitable<Result<Output>> run_framed(std::string_view script, InputSource* input,
                                             bool has_input, const RunOptions& options) {
    auto guard = co_await m_lock.lock();
    bool reused = m_session && m_session->is_open();
    CO_TRY_STATUS(co_await connect_locked());
    bool sudo = m_target.user != "root";
    std::string command = remote_command(script.size(), has_input, sudo);
    Clock::time_point deadline = Clock::now() + options.timeout;
    bool exec_sent = false;
    auto result = co_await run_once(command, script, input, options, deadline, exec_sent);
    if (!result.has_value() && reused && !exec_sent &&
        result.error().code() == ErrorCode::kUnavailable) {
      // A reused session may have died while idle (sshd restarted, NAT
      // timeout). Nothing ran yet, so reconnecting and trying once more is
      // safe.
      CO_TRY_STATUS(co_await connect_locked());
      result = co_await run_once(command, script, input, options, deadline, exec_sent);
    }
    if (!result.has_value()) {
      Error error = std::move(result).error();
      if (error.code() == ErrorCode::kDeadlineExceeded) {
        error = deadline_exceeded("the script did not finish within " +
                                  milliseconds(options.timeout) + "; the connection was closed");
      }
      co_return std::move(error).with_context(m_target.name);
    }
    if (sudo) CO_TRY_STATUS(check_sudo(*result));
    co_return result;
  }

  // One attempt on the current session; on failure the session is dropped,
  // since its channel is in an unknown state.
  asio::awaitable<Result<Output>> run_once(const std::string& command, std::string_view script,
                                           InputSource* input, const RunOptions& options,
                                           Clock::time_point deadline, bool& exec_sent) {
    StdinFeed feed(script, input);
    ++m_stats.channels;
    auto result =
        co_await run_on_channel(*m_session, command, feed, options.max_output, deadline, exec_sent);
    if (!result.has_value()) {
      m_session->abort();
      drop_session();
    }
    co_return result;
  }

  // `sudo -n` without a rule says so on stderr and exits 1 before running
  // anything; that is a permission problem, not a failed script.
  Status check_sudo(const Output& output) const {
    if (output.exit_code == 1 && output.out.empty() && output.err.rfind("sudo: ", 0) == 0 &&
        output.err.find("password is required") != std::string::npos) {
      return permission_denied(m_target.name + ": user " + m_target.user +
                               " may not run sudo without a password: " + output.err);
    }
    return ok();
  }

  void drop_session() {
    if (!m_session) return;
    m_stats.bytes_sent += m_session->bytes_sent();
    m_stats.bytes_received += m_session->bytes_received();
    m_session.reset();
  }

  asio::io_context& m_io;
  SshTarget m_target;
  SshClientOptions m_options;
  AuthOptions m_auth;
  HostKeyPolicy m_policy;
  std::unique_ptr<SshSession> m_session;
  AsyncLock m_lock;
  TransportStats m_stats;
};

}  // namespace

std::vector<std::string> default_key_files() {
  std::vector<std::string> files;
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
    std::string path = home_directory() + "/.ssh/" + name;
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored)) files.push_back(path);
  }
  return files;
}

std::string default_known_hosts_file() {
  return home_directory() + "/.ssh/known_hosts";
}

std::unique_ptr<Transport> make_ssh_transport(asio::io_context& io, SshTarget target,
                                              const SshClientOptions& options) {
  return std::make_unique<SshTransport>(io, std::move(target), options);
}

}  // namespace reconcile::transport
