#pragma once

// One libssh2 session over one TCP connection, in non-blocking mode, driven
// by the io_context it was made on. Every libssh2 call is made through
// drive(): call, and while libssh2 says EAGAIN, wait for the socket in the
// direction libssh2 asks for (libssh2_session_block_directions), up to a
// deadline. No call ever blocks the thread, so any number of sessions share
// one thread and a stalled host costs only its own deadline.
//
// libssh2 does its socket I/O through our send/recv callbacks, which count
// bytes for TransportStats and, once the session is aborted, refuse all I/O,
// so that freeing an aborted session never waits on the network.

#include <libssh2.h>

#include <cstdint>
#include <string>

#include "reconciler/base/result.h"
#include "reconciler/transport/asio.h"
#include "reconciler/transport/host_key.h"
#include "reconciler/transport/wait.h"

namespace reconcile::transport {

class SshSession {
 public:
  explicit SshSession(asio::any_io_executor executor);
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  // Resolves `address` (if it is not an IP address), connects over TCP and
  // does the SSH handshake, offering `host_key_methods` (a comma-separated
  // preference list). Errors: kUnavailable (refused, unreachable, reset,
  // name not found, handshake failure), kDeadlineExceeded.
  asio::awaitable<Status> open(std::string address, uint16_t port, std::string host_key_methods,
                               Clock::time_point deadline);

  // The key the server proved it holds during the handshake.
  Result<PublicKey> host_key() const;

  // Calls `call` (a libssh2 call returning int) until it returns something
  // other than LIBSSH2_ERROR_EAGAIN, and returns that. Errors:
  // kDeadlineExceeded.
  template <typename Call>
  asio::awaitable<Result<int>> drive(Call call, Clock::time_point deadline) {
    while (true) {
      int rc = call();
      if (rc != LIBSSH2_ERROR_EAGAIN) co_return rc;
      CO_TRY_STATUS(co_await wait_socket(deadline));
    }
  }

  // Waits until the socket is ready in the direction libssh2 last blocked
  // on. Errors: kDeadlineExceeded.
  asio::awaitable<Status> wait_socket(Clock::time_point deadline);

  LIBSSH2_SESSION* get() const { return m_session; }
  bool is_open() const { return m_session != nullptr && !m_aborted; }
  // libssh2's description of its last error.
  std::string last_error() const;

  // Says goodbye to the server if it can before `deadline`, then frees.
  asio::awaitable<void> close(Clock::time_point deadline);
  // Drops the connection at once: no further byte is sent or read.
  void abort();

  uint64_t bytes_sent() const { return m_bytes_sent; }
  uint64_t bytes_received() const { return m_bytes_received; }

 private:
  static ssize_t send_callback(libssh2_socket_t socket, const void* buffer, size_t length,
                               int flags, void** abstract);
  static ssize_t recv_callback(libssh2_socket_t socket, void* buffer, size_t length, int flags,
                               void** abstract);

  asio::awaitable<Status> connect_tcp(const std::string& address, uint16_t port,
                                      Clock::time_point deadline);
  void free_session();

  asio::ip::tcp::socket m_socket;
  LIBSSH2_SESSION* m_session = nullptr;
  bool m_aborted = false;
  uint64_t m_bytes_sent = 0;
  uint64_t m_bytes_received = 0;
};

// Initialises libssh2 once per process (thread-safe).
void ensure_libssh2_initialized();

}  // namespace reconcile::transport
