#include "reconciler/daemon/http_api.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "reconciler/base/strings.h"
#include "reconciler/daemon/auth.h"
#include "reconciler/daemon/metrics.h"
#include "reconciler/daemon/views.h"

namespace reconcile::daemon {

namespace {

using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump(2) + "\n";
  return response;
}

std::string header_of(const HttpRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> values;
  for (const auto& pair : split(query, '&')) {
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    values[pair.substr(0, equals)] = equals == std::string::npos ? "" : pair.substr(equals + 1);
  }
  return values;
}

// A positive decimal integer of at most 18 digits, else nullopt.
std::optional<int64_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

HttpResponse store_error(const Error& error) {
  spdlog::warn("api: state store: {}", error.message());
  return json_error(503, "the state store is not available right now");
}

HttpResponse method_not_allowed(const char* allow) {
  HttpResponse response = json_error(405, "method not allowed");
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace

HttpResponse json_error(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

HttpApi::HttpApi(StateStore& store, Inbox& inbox, Clock& clock, ApiLimits limits)
    : m_store(&store),
      m_inbox(&inbox),
      m_limits(limits),
      m_limiter(clock, limits.requests_per_second, limits.burst) {}

size_t HttpApi::body_limit(const std::string& method, const std::string& target) const {
  std::string path = target.substr(0, target.find('?'));
  if (method == "POST" && path == "/hooks/git") return m_limits.webhook_body_bytes;
  return m_limits.body_bytes;
}

HttpResponse HttpApi::handle(const HttpRequest& request) {
  if (!m_limiter.allow(request.client)) {
    HttpResponse response = json_error(429, "too many requests");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  if (request.body.size() > body_limit(request.method, request.target)) {
    return json_error(413, "request body too large");
  }
  size_t question = request.target.find('?');
  std::string path = request.target.substr(0, question);
  auto query = question == std::string::npos
                   ? std::map<std::string, std::string>()
                   : parse_query(std::string_view(request.target).substr(question + 1));
  return route(request, path, query);
}

HttpResponse HttpApi::route(const HttpRequest& request, const std::string& path,
                            const std::map<std::string, std::string>& query) {
  const std::string& method = request.method;
  if (path == "/hooks/git") return method == "POST" ? webhook(request) : method_not_allowed("POST");
  if (path == "/api/v1/reconcile") {
    return method == "POST" ? reconcile(request) : method_not_allowed("POST");
  }
  bool get = method == "GET" || method == "HEAD";
  if (path == "/healthz") {
    if (!get) return method_not_allowed("GET, HEAD");
    HttpResponse response;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "ok\n";
    return response;
  }
  if (path == "/metrics") return get ? metrics() : method_not_allowed("GET, HEAD");
  if (path == "/api/v1/hosts") return get ? hosts() : method_not_allowed("GET, HEAD");
  if (path == "/api/v1/runs") return get ? runs(query) : method_not_allowed("GET, HEAD");
  const std::string runs_prefix = "/api/v1/runs/";
  if (starts_with(path, runs_prefix)) {
    return get ? run(path.substr(runs_prefix.size())) : method_not_allowed("GET, HEAD");
  }
  return json_error(404, "no such endpoint");
}

HttpResponse HttpApi::webhook(const HttpRequest& request) {
  if (!m_config.webhook_secret) {
    return json_error(403, "webhook is not enabled (no --webhook-secret-file)");
  }
  std::string signature = header_of(request, "x-hub-signature-256");
  if (!webhook_signature_valid(*m_config.webhook_secret, request.body, signature)) {
    spdlog::warn("webhook from {}: {} signature; ignored", request.client,
                 signature.empty() ? "missing" : "bad");
    return json_error(401, "missing or bad X-Hub-Signature-256");
  }
  std::string event = header_of(request, "x-github-event");
  if (event == "ping") return json_response(200, {{"pong", true}});
  // A push to another branch needs no fetch. The body is only read after
  // the signature is known good.
  json payload = json::parse(request.body, nullptr, false);
  if (payload.is_object() && payload.contains("ref") && payload["ref"].is_string()) {
    std::string ref = payload["ref"].get<std::string>();
    if (ref != "refs/heads/" + m_config.branch) {
      return json_response(202, {{"queued", false}, {"ignored", "not the watched branch"}});
    }
  }
  m_inbox->post(TriggerKind::kWebhook);
  return json_response(202, {{"queued", true}});
}

HttpResponse HttpApi::reconcile(const HttpRequest& request) {
  if (!m_config.api_token) {
    return json_error(403, "the API is read-only: no --api-token-file configured");
  }
  if (!bearer_token_valid(*m_config.api_token, header_of(request, "authorization"))) {
    spdlog::warn("api: POST /api/v1/reconcile from {} with a missing or bad token", request.client);
    HttpResponse response = json_error(401, "missing or bad bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  m_inbox->post(TriggerKind::kApi);
  return json_response(202, {{"queued", true}});
}

HttpResponse HttpApi::hosts() {
  auto hosts = m_store->hosts();
  if (!hosts) return store_error(hosts.error());
  json list = json::array();
  for (const auto& host : *hosts)
    list.push_back(host_json(host));
  return json_response(200, {{"hosts", list}});
}

HttpResponse HttpApi::runs(const std::map<std::string, std::string>& query) {
  int limit = 50;
  if (auto it = query.find("limit"); it != query.end()) {
    auto value = parse_id(it->second);
    if (!value || *value < 1 || *value > 500) return json_error(400, "limit: 1 to 500");
    limit = static_cast<int>(*value);
  }
  std::optional<int64_t> before;
  if (auto it = query.find("before"); it != query.end()) {
    before = parse_id(it->second);
    if (!before) return json_error(400, "before: a run id");
  }
  auto runs = m_store->runs(limit, before);
  if (!runs) return store_error(runs.error());
  json list = json::array();
  for (const auto& run : *runs)
    list.push_back(run_json(run));
  return json_response(200, {{"runs", list}});
}

HttpResponse HttpApi::run(const std::string& id_text) {
  auto id = parse_id(id_text);
  if (!id) return json_error(404, "no such run");
  auto run = m_store->run(*id);
  if (!run) return store_error(run.error());
  if (!*run) return json_error(404, "no such run");
  auto hosts = m_store->run_hosts(*id);
  if (!hosts) return store_error(hosts.error());
  json list = json::array();
  for (const auto& host : *hosts)
    list.push_back(run_host_json(host, true));
  return json_response(200, {{"run", run_json(**run)}, {"hosts", list}});
}

HttpResponse HttpApi::metrics() {
  auto counts = m_store->counts();
  if (!counts) return store_error(counts.error());
  auto values = m_store->values();
  if (!values) return store_error(values.error());
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = render_metrics(*counts, *values);
  return response;
}

}  // namespace reconcile::daemon
