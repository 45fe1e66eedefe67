#include "reconciler/transport/ssh_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace reconcile::transport {

namespace {
// A session that keeps asking to be freed after its I/O was cut off would be
// a libssh2 bug; give up after this many tries rather than spin.
constexpr int kMaxFreeAttempts = 100;
}  // namespace

void ensure_libssh2_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (libssh2_init(0) != 0) {
      std::fprintf(stderr, "BUG: libssh2_init failed\n");
      std::abort();
    }
  });
}

SshSession::SshSession(asio::any_io_executor executor) : m_socket(std::move(executor)) {}

SshSession::~SshSession() {
  abort();
}

ssize_t SshSession::send_callback(libssh2_socket_t socket, const void* buffer, size_t length,
                                  int flags, void** abstract) {
  auto* self = static_cast<SshSession*>(*abstract);
  if (self->m_aborted) return -ENOTCONN;
  ssize_t count = ::send(socket, buffer, length, flags | MSG_NOSIGNAL);
  if (count < 0) return -errno;
  self->m_bytes_sent += static_cast<uint64_t>(count);
  return count;
}

ssize_t SshSession::recv_callback(libssh2_socket_t socket, void* buffer, size_t length, int flags,
                                  void** abstract) {
  auto* self = static_cast<SshSession*>(*abstract);
  if (self->m_aborted) return -ENOTCONN;
  ssize_t count = ::recv(socket, buffer, length, flags);
  if (count < 0) return -errno;
  self->m_bytes_received += static_cast<uint64_t>(count);
  return count;
}

asio::awaitable<Status> SshSession::connect_tcp(const std::string& address, uint16_t port,
                                                Clock::time_point deadline) {
  using asio::ip::tcp;
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code error;
  auto ip = asio::ip::make_address(address, error);
  if (!error) {
    endpoints.emplace_back(ip, port);
  } else {
    // getaddrinfo runs on Asio's resolver thread; we only wait for it here.
    tcp::resolver resolver(m_socket.get_executor());
    auto result =
        std::make_shared<std::pair<boost::system::error_code, tcp::resolver::results_type>>();
    Waitable resolve{[&, result](auto done) {
                       resolver.async_resolve(address, std::to_string(port),
                                              [result, done](auto code, auto found) {
                                                *result = {code, found};
                                                done(code);
                                              });
                     },
                     [&resolver] { resolver.cancel(); }};
    if (co_await wait_one(resolve, deadline) == WaitOutcome::kDeadline) {
      co_return deadline_exceeded("resolving " + address + " timed out");
    }
    if (result->first) {
      co_return unavailable("cannot resolve " + address + ": " + result->first.message());
    }
    for (const auto& entry : result->second)
      endpoints.push_back(entry.endpoint());
  }
  std::string last_error = "no address";
  for (const tcp::endpoint& endpoint : endpoints) {
    if (m_socket.is_open()) m_socket.close(error);
    auto outcome = std::make_shared<boost::system::error_code>();
    Waitable connect{[&, outcome](auto done) {
                       m_socket.async_connect(endpoint, [outcome, done](auto code) {
                         *outcome = code;
                         done(code);
                       });
                     },
                     [this] {
                       boost::system::error_code ignored;
                       m_socket.cancel(ignored);
                     }};
    if (co_await wait_one(connect, deadline) == WaitOutcome::kDeadline) {
      m_socket.close(error);
      co_return deadline_exceeded("TCP connect to " + address + ":" + std::to_string(port) +
                                  " timed out");
    }
    if (!*outcome) {
      m_socket.set_option(tcp::no_delay(true), error);
      m_socket.non_blocking(true, error);
      co_return ok();
    }
    last_error = outcome->message();
  }
  m_socket.close(error);
  co_return unavailable("cannot connect to " + address + ":" + std::to_string(port) + ": " +
                        last_error);
}

asio::awaitable<Status> SshSession::open(std::string address, uint16_t port,
                                         std::string host_key_methods, Clock::time_point deadline) {
  ensure_libssh2_initialized();
  CO_TRY_STATUS(co_await connect_tcp(address, port, deadline));
  m_aborted = false;
  m_session = libssh2_session_init_ex(nullptr, nullptr, nullptr, this);
  if (m_session == nullptr) co_return internal_error("libssh2_session_init failed");
  libssh2_session_set_blocking(m_session, 0);
  libssh2_session_callback_set(m_session, LIBSSH2_CALLBACK_SEND,
                               reinterpret_cast<void*>(&SshSession::send_callback));
  libssh2_session_callback_set(m_session, LIBSSH2_CALLBACK_RECV,
                               reinterpret_cast<void*>(&SshSession::recv_callback));
  if (!host_key_methods.empty()) {
    libssh2_session_method_pref(m_session, LIBSSH2_METHOD_HOSTKEY, host_key_methods.c_str());
  }
  int fd = m_socket.native_handle();
  CO_TRY_ASSIGN(rc,
                co_await drive([&] { return libssh2_session_handshake(m_session, fd); }, deadline));
  if (rc != 0) {
    std::string reason = last_error();
    abort();
    // A failed key exchange with a modern server usually means an algorithm
    // libssh2 1.10 lacks; say which ones it has.
    if (reason.find("exchange encryption keys") != std::string::npos) {
      reason +=
          " (libssh2 1.10 offers host keys ssh-ed25519, ecdsa-sha2-nistp256/384/521 and "
          "ssh-rsa, and checks RSA host keys only with SHA-1, which OpenSSH 8.8+ no "
          "longer offers: give the server an ed25519 or ecdsa host key)";
    }
    co_return unavailable("SSH handshake failed: " + reason);
  }
  co_return ok();
}

Result<PublicKey> SshSession::host_key() const {
  size_t length = 0;
  int type = 0;
  const char* blob = m_session ? libssh2_session_hostkey(m_session, &length, &type) : nullptr;
  if (blob == nullptr) return internal_error("no host key after the handshake");
  return public_key_from_blob(std::string_view(blob, length));
}

asio::awaitable<Status> SshSession::wait_socket(Clock::time_point deadline) {
  if (!is_open()) co_return unavailable("the connection was closed");
  int directions = libssh2_session_block_directions(m_session);
  std::vector<Waitable> targets;
  if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) targets.push_back(wait_writable(m_socket));
  // With no direction given, input is what libssh2 waits for.
  if ((directions & LIBSSH2_SESSION_BLOCK_INBOUND) || targets.empty()) {
    targets.push_back(wait_readable(m_socket));
  }
  if (co_await wait_any(std::move(targets), deadline) == WaitOutcome::kDeadline) {
    co_return deadline_exceeded("timed out");
  }
  co_return ok();
}

std::string SshSession::last_error() const {
  if (m_session == nullptr) return "no session";
  char* message = nullptr;
  int length = 0;
  libssh2_session_last_error(m_session, &message, &length, 0);
  return message ? std::string(message, static_cast<size_t>(length)) : "unknown error";
}

asio::awaitable<void> SshSession::close(Clock::time_point deadline) {
  if (is_open()) {
    auto ignored = co_await drive(
        [&] { return libssh2_session_disconnect(m_session, "reconcile: done"); }, deadline);
    (void)ignored;
  }
  abort();
}

void SshSession::abort() {
  m_aborted = true;
  free_session();
  boost::system::error_code ignored;
  if (m_socket.is_open()) m_socket.close(ignored);
}

void SshSession::free_session() {
  if (m_session == nullptr) return;
  for (int attempt = 0; attempt < kMaxFreeAttempts; ++attempt) {
    if (libssh2_session_free(m_session) != LIBSSH2_ERROR_EAGAIN) break;
  }
  m_session = nullptr;
}

}  // namespace reconcile::transport
