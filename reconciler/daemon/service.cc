#include "reconciler/daemon/service.h"

#include <spdlog/spdlog.h>

#include "reconciler/daemon/http_server.h"
#include "reconciler/daemon/settings.h"
#include "reconciler/daemon/state_store.h"
#include "reconciler/daemon/trigger_socket.h"

namespace reconcile::daemon {

struct Service::Parts {
  asio::io_context io;
  std::optional<StateStore> store;
  std::unique_ptr<HttpApi> api;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<TriggerSocket> socket;
  std::unique_ptr<asio::signal_set> signals;
  // Keeps io.run() going while nothing is pending.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

namespace {

void wait_for_signals(asio::signal_set& signals, Inbox& inbox) {
  signals.async_wait([&signals, &inbox](boost::system::error_code ec, int number) {
    if (ec) return;
    if (number == SIGHUP) {
      spdlog::info("SIGHUP: reloading settings");
      inbox.request_reload();
    } else {
      spdlog::info("{}: finishing the host steps in flight, then stopping",
                   number == SIGTERM ? "SIGTERM" : "SIGINT");
      inbox.request_stop();
    }
    wait_for_signals(signals, inbox);
  });
}

}  // namespace

Result<std::unique_ptr<Service>> Service::start(const ServiceOptions& options, Inbox& inbox,
                                                Clock& clock, ApiConfig config) {
  std::unique_ptr<Service> service(new Service());
  service->m_parts = std::make_unique<Parts>();
  Parts& parts = *service->m_parts;
  parts.work.emplace(parts.io.get_executor());
  if (options.listen != "off") {
    auto listen = parse_listen(options.listen);
    if (!listen) return invalid_argument("--listen: bad address '" + options.listen + "'");
    parts.store.emplace(
        TRY(StateStore::open(options.store_path, StateStore::Mode::kReadOnly, clock)));
    parts.api = std::make_unique<HttpApi>(*parts.store, inbox, clock, options.limits);
    parts.api->configure(std::move(config));
    parts.http = TRY(HttpServer::start(parts.io, listen->first, listen->second, *parts.api));
    service->m_http_port = parts.http->port();
    spdlog::info("http: listening on {}:{}", listen->first, service->m_http_port);
  }
  parts.socket = TRY(TriggerSocket::start(parts.io, options.socket_path, inbox));
  if (options.handle_signals) {
    parts.signals = std::make_unique<asio::signal_set>(parts.io, SIGTERM, SIGINT, SIGHUP);
    wait_for_signals(*parts.signals, inbox);
  }
  service->m_thread = std::thread([&parts] {
    for (;;) {
      try {
        parts.io.run();
        return;
      } catch (const std::exception& e) {
        // A bug in a handler must not take the daemon down with it.
        spdlog::error("service thread: {}", e.what());
      }
    }
  });
  return service;
}

Service::~Service() {
  stop();
}

void Service::configure(ApiConfig config) {
  if (!m_parts || !m_parts->api) return;
  auto shared = std::make_shared<ApiConfig>(std::move(config));
  asio::post(m_parts->io, [api = m_parts->api.get(), shared] { api->configure(*shared); });
}

void Service::stop() {
  if (!m_thread.joinable()) return;
  asio::post(m_parts->io, [parts = m_parts.get()] {
    if (parts->http) parts->http->stop();
    if (parts->socket) parts->socket->stop();
    if (parts->signals) {
      boost::system::error_code ec;
      parts->signals->cancel(ec);
    }
    parts->work.reset();
    parts->io.stop();
  });
  m_thread.join();
}

}  // namespace reconcile::daemon
