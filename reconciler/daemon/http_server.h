#pragma once

// The HTTP listener (Boost.Beast on Asio coroutines) in front of HttpApi.
// It enforces what must be enforced before a request is whole: a header
// size limit, a body limit chosen per endpoint once the header is read
// (413), a 10 s deadline for each request to arrive and each response to
// leave (slow clients are dropped), at most 64 connections at a time, and
// HTTP/1.1 keep-alive. Runs on the io_context it is given; one thread.

#include <cstdint>
#include <memory>
#include <string>

#include "reconciler/base/result.h"
#include "reconciler/daemon/http_api.h"
#include "reconciler/transport/asio.h"

namespace reconcile::daemon {

class HttpServer {
 public:
  // Binds `address`:`port` (port 0: any free port) and starts accepting.
  // Errors: kFailedPrecondition with the system's reason (address in use).
  static Result<std::unique_ptr<HttpServer>> start(asio::io_context& io, const std::string& address,
                                                   uint16_t port, HttpApi& api);
  ~HttpServer();

  uint16_t port() const { return m_port; }
  // Stops accepting; open connections end at their next deadline or request.
  void stop();

  // The listener's state, shared with its coroutines (defined in the .cc).
  struct State;

 private:
  HttpServer(std::shared_ptr<State> state, uint16_t port)
      : m_state(std::move(state)), m_port(port) {}

  std::shared_ptr<State> m_state;
  uint16_t m_port;
};

}  // namespace reconcile::daemon
