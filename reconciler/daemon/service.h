#pragma once

// The daemon's service thread: one io_context that runs the HTTP server,
// the trigger socket and the signal handlers (SIGTERM/SIGINT: stop, SIGHUP:
// reload), all of which only post to the Inbox. The run loop stays on the
// caller's thread, so a long run never delays an HTTP answer and an HTTP
// request never touches the engine.

#include <memory>
#include <string>
#include <thread>

#include "reconciler/base/result.h"
#include "reconciler/daemon/clock.h"
#include "reconciler/daemon/http_api.h"
#include "reconciler/daemon/inbox.h"

namespace reconcile::daemon {

struct ServiceOptions {
  std::string listen;       // "127.0.0.1:9180", or "off"
  std::string socket_path;  // the trigger socket
  std::string store_path;   // opened read-only for the API
  ApiLimits limits;
  bool handle_signals = true;
};

class Service {
 public:
  // Binds the listeners (so a taken port fails the start, not later) and
  // starts the thread. Errors: kFailedPrecondition (bind, store).
  static Result<std::unique_ptr<Service>> start(const ServiceOptions& options, Inbox& inbox,
                                                Clock& clock, ApiConfig config);
  ~Service();

  // New secrets and branch for the API (SIGHUP). Thread-safe.
  void configure(ApiConfig config);
  // The bound HTTP port (0 when the server is off).
  uint16_t http_port() const { return m_http_port; }
  // Stops the listeners and joins the thread. Idempotent.
  void stop();

  struct Parts;

 private:
  Service() = default;

  std::unique_ptr<Parts> m_parts;
  std::thread m_thread;
  uint16_t m_http_port = 0;
};

}  // namespace reconcile::daemon
