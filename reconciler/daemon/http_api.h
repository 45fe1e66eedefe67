#pragma once

// The daemon's HTTP endpoints as a function from request to response, so
// that routing, authentication and limits are unit-tested without sockets
// (http_server.h does the networking):
//
//   GET  /healthz              200 "ok"
//   GET  /metrics              Prometheus text (metrics.h)
//   GET  /api/v1/hosts         {"hosts": [...]}
//   GET  /api/v1/runs          {"runs": [...]}  (?limit=N, 1..500, default 50; ?before=ID)
//   GET  /api/v1/runs/ID       {"run": {...}, "hosts": [... with redacted output]}
//   POST /api/v1/reconcile     202; needs "Authorization: Bearer TOKEN"
//   POST /hooks/git            202; needs a valid X-Hub-Signature-256
//
// Authentication fails closed: without a configured token (secret) the
// endpoint answers 403 and never triggers anything; a wrong or missing one
// is 401, and nothing is fetched. Each client address gets a token bucket
// (429 beyond it). Responses never contain a secret: host output is stored
// redacted, URLs lose their passwords before they are stored.
//
// Used by the HTTP server's thread only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reconciler/daemon/inbox.h"
#include "reconciler/daemon/rate_limiter.h"
#include "reconciler/daemon/state_store.h"
#include "secrets/secure_buffer.h"

namespace reconcile::daemon {

struct HttpRequest {
  std::string method;                          // "GET"
  std::string target;                          // "/api/v1/runs?limit=5"
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string client;  // peer address, for rate limiting
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the endpoints need to know that can change on SIGHUP.
struct ApiConfig {
  std::shared_ptr<const secrets::SecureBuffer> webhook_secret;  // null: webhook disabled
  std::shared_ptr<const secrets::SecureBuffer> api_token;       // null: POST API disabled
  std::string branch = "main";  // pushes to other branches are acknowledged and ignored
};

struct ApiLimits {
  size_t header_bytes = 8 * 1024;
  size_t webhook_body_bytes = 1024 * 1024;  // GitHub push payloads fit
  size_t body_bytes = 16 * 1024;            // every other endpoint
  double requests_per_second = 10;
  double burst = 40;
};

class HttpApi {
 public:
  // `store` is a read-only StateStore owned by the caller; `alive` says
  // whether the daemon loop is up (for status).
  HttpApi(StateStore& store, Inbox& inbox, Clock& clock, ApiLimits limits = {});

  void configure(ApiConfig config) { m_config = std::move(config); }
  const ApiLimits& limits() const { return m_limits; }
  // The largest body accepted for a request line (413 beyond it).
  size_t body_limit(const std::string& method, const std::string& target) const;

  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse route(const HttpRequest& request, const std::string& path,
                     const std::map<std::string, std::string>& query);
  HttpResponse webhook(const HttpRequest& request);
  HttpResponse reconcile(const HttpRequest& request);
  HttpResponse hosts();
  HttpResponse runs(const std::map<std::string, std::string>& query);
  HttpResponse run(const std::string& id);
  HttpResponse metrics();

  StateStore* m_store;
  Inbox* m_inbox;
  ApiLimits m_limits;
  RateLimiter m_limiter;
  ApiConfig m_config;
};

// A JSON error body: {"error": message}.
HttpResponse json_error(int status, const std::string& message);

}  // namespace reconcile::daemon
