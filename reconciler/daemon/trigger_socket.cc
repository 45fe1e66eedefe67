#include "reconciler/daemon/trigger_socket.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace reconcile::daemon {

using local = asio::local::stream_protocol;

struct TriggerSocket::State {
  explicit State(asio::io_context& io) : acceptor(io) {}
  local::acceptor acceptor;
  std::string path;
  Inbox* inbox = nullptr;
  bool stopped = false;
};

namespace {

constexpr auto kClientDeadline = std::chrono::seconds(5);

asio::awaitable<void> serve_client(local::socket accepted, Inbox& inbox) {
  // Shared with the deadline's handler, which may run after this coroutine.
  auto socket = std::make_shared<local::socket>(std::move(accepted));
  boost::system::error_code ec;
  asio::steady_timer deadline(socket->get_executor());
  deadline.expires_after(kClientDeadline);
  deadline.async_wait([socket](boost::system::error_code error) {
    if (error == asio::error::operation_aborted) return;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  std::string line;
  co_await asio::async_read_until(*socket, asio::dynamic_buffer(line, 256), '\n',
                                  asio::redirect_error(asio::use_awaitable, ec));
  std::string answer;
  if (!ec && line == "trigger\n") {
    inbox.post(TriggerKind::kPush);
    answer = "queued\n";
  } else if (!ec && line == "retry\n") {
    inbox.post(TriggerKind::kOperatorRetry);
    answer = "queued\n";
  } else if (!ec) {
    answer = "error: unknown request\n";
  }
  if (!answer.empty()) {
    co_await asio::async_write(*socket, asio::buffer(answer),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  deadline.cancel();
  socket->close(ec);
}

asio::awaitable<void> accept_loop(std::shared_ptr<TriggerSocket::State> state) {
  for (;;) {
    boost::system::error_code ec;
    local::socket socket =
        co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("trigger socket: accept: {}", ec.message());
      continue;
    }
    asio::co_spawn(state->acceptor.get_executor(), serve_client(std::move(socket), *state->inbox),
                   asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<TriggerSocket>> TriggerSocket::start(asio::io_context& io,
                                                            const std::string& path, Inbox& inbox) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return failed_precondition(path + ": socket path too long for a unix socket");
  }
  // The daemon holds the state directory's lock, so a socket file here is
  // one a killed daemon left behind.
  ::unlink(path.c_str());
  auto state = std::make_shared<State>(io);
  state->path = path;
  state->inbox = &inbox;
  boost::system::error_code ec;
  local::endpoint endpoint(path);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed_precondition(path + ": cannot listen: " + ec.message());
  ::chmod(path.c_str(), 0660);
  asio::co_spawn(io, accept_loop(state), asio::detached);
  return std::unique_ptr<TriggerSocket>(new TriggerSocket(state));
}

TriggerSocket::~TriggerSocket() {
  stop();
}

void TriggerSocket::stop() {
  if (m_state->stopped) return;
  m_state->stopped = true;
  boost::system::error_code ec;
  m_state->acceptor.close(ec);
  ::unlink(m_state->path.c_str());
}

Result<std::string> send_trigger(const std::string& path, std::chrono::milliseconds timeout,
                                 const std::string& request) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return invalid_argument(path + ": path too long");
  std::memcpy(address.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return system_error("socket", errno);
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::close(fd);
    return unavailable("no daemon answers on " + path + ": " + what + ": " + std::strerror(saved));
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return fail("connect");
  }
  const std::string kRequest = request + "\n";
  if (::send(fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kRequest.size())) {
    return fail("send");
  }
  std::string answer;
  char chunk[256];
  while (answer.find('\n') == std::string::npos && answer.size() < 1024) {
    ssize_t count = ::recv(fd, chunk, sizeof chunk, 0);
    if (count < 0) return fail("receive");
    if (count == 0) break;
    answer.append(chunk, static_cast<size_t>(count));
  }
  ::close(fd);
  if (answer.empty()) return unavailable("the daemon on " + path + " closed without an answer");
  return answer.substr(0, answer.find('\n'));
}

}  // namespace reconcile::daemon
