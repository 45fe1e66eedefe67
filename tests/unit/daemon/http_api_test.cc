// The HTTP API without sockets: routing, authentication that fails closed,
// the webhook's branch filter, rate and size limits, and responses that
// carry no secret.

#include "reconciler/daemon/http_api.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "reconciler/daemon/auth.h"
#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;

namespace {

struct ApiFixture {
  TempDir dir;
  FakeClock clock;
  StateStore writer = must(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  StateStore reader = must(StateStore::open(dir / "state.db", StateStore::Mode::kReadOnly, clock));
  Inbox inbox;
  HttpApi api{reader, inbox, clock};

  HttpResponse call(const std::string& method, const std::string& target,
                    std::map<std::string, std::string> headers = {}, std::string body = "") {
    HttpRequest request{method, target, std::move(headers), std::move(body), "127.0.0.1"};
    return api.handle(request);
  }
  void enable(const std::string& webhook_secret, const std::string& token) {
    ApiConfig config;
    config.webhook_secret =
        std::make_shared<secrets::SecureBuffer>(webhook_secret.data(), webhook_secret.size());
    config.api_token = std::make_shared<secrets::SecureBuffer>(token.data(), token.size());
    config.branch = "main";
    api.configure(std::move(config));
  }
  size_t triggers() { return inbox.take().triggers.size(); }
};

nlohmann::json body_of(const HttpResponse& response) {
  return nlohmann::json::parse(response.body);
}

}  // namespace

TEST_CASE("health, unknown endpoints and wrong methods") {
  ApiFixture f;
  auto health = f.call("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(f.call("GET", "/nope").status == 404);
  auto wrong = f.call("DELETE", "/api/v1/hosts");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers[0].first == "Allow");
  CHECK(f.call("GET", "/hooks/git").status == 405);
}

TEST_CASE("POST endpoints fail closed when no secret is configured") {
  ApiFixture f;
  std::string body = R"({"ref":"refs/heads/main"})";
  auto hook = f.call("POST", "/hooks/git",
                     {{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("", body)}}, body);
  CHECK(hook.status == 403);
  CHECK(f.call("POST", "/api/v1/reconcile", {{"authorization", "Bearer "}}).status == 403);
  CHECK(f.triggers() == 0);
}

TEST_CASE("the webhook needs a valid signature; bad or missing is 401 and triggers nothing") {
  ApiFixture f;
  f.enable("hook-secret", "api-token");
  std::string body = R"({"ref":"refs/heads/main","after":"abc"})";
  std::string good = "sha256=" + hmac_sha256_hex("hook-secret", body);
  CHECK(f.call("POST", "/hooks/git", {}, body).status == 401);
  CHECK(f.call("POST", "/hooks/git", {{"x-hub-signature-256", good}}, body + "\n").status == 401);
  CHECK(f.call("POST", "/hooks/git",
               {{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("wrong", body)}}, body)
            .status == 401);
  CHECK(f.triggers() == 0);

  auto accepted = f.call("POST", "/hooks/git", {{"x-hub-signature-256", good}}, body);
  CHECK(accepted.status == 202);
  CHECK(body_of(accepted)["queued"] == true);
  Mail mail = f.inbox.take();
  REQUIRE(mail.triggers.size() == 1);
  CHECK(mail.triggers[0] == TriggerKind::kWebhook);

  std::string other = R"({"ref":"refs/heads/feature"})";
  auto ignored =
      f.call("POST", "/hooks/git",
             {{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("hook-secret", other)}}, other);
  CHECK(ignored.status == 202);
  CHECK(body_of(ignored)["queued"] == false);
  auto ping = f.call("POST", "/hooks/git",
                     {{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("hook-secret", "{}")},
                      {"x-github-event", "ping"}},
                     "{}");
  CHECK(ping.status == 200);
  CHECK(f.triggers() == 0);
}

TEST_CASE("POST /api/v1/reconcile needs the bearer token") {
  ApiFixture f;
  f.enable("hook-secret", "api-token");
  auto missing = f.call("POST", "/api/v1/reconcile");
  CHECK(missing.status == 401);
  CHECK(missing.body.find("api-token") == std::string::npos);  // no secret echoed
  CHECK(f.call("POST", "/api/v1/reconcile", {{"authorization", "Bearer api-toke"}}).status == 401);
  CHECK(f.triggers() == 0);
  CHECK(f.call("POST", "/api/v1/reconcile", {{"authorization", "Bearer api-token"}}).status == 202);
  CHECK(f.triggers() == 1);
}

TEST_CASE("hosts, runs and one run with its redacted output") {
  ApiFixture f;
  REQUIRE(f.writer.sync_hosts({"web1"}).has_value());
  int64_t run = MUST(f.writer.begin_run("push", "c0ffee", 2, 1));
  HostOutcome outcome;
  outcome.host = "web1";
  outcome.changes = 1;
  outcome.applied = 1;
  outcome.output = "~ file /etc/app.conf\n    content: (sensitive)\n";
  REQUIRE(f.writer.record_host(run, "c0ffee", outcome, false).has_value());
  REQUIRE(f.writer.finish_run(run, "converged", "").has_value());

  auto hosts = body_of(f.call("GET", "/api/v1/hosts"));
  REQUIRE(hosts["hosts"].size() == 1);
  CHECK(hosts["hosts"][0]["status"] == "converged");
  CHECK(hosts["hosts"][0]["applied_commit"] == "c0ffee");

  auto runs = body_of(f.call("GET", "/api/v1/runs?limit=5"));
  REQUIRE(runs["runs"].size() == 1);
  CHECK(runs["runs"][0]["trigger"] == "push");
  CHECK(runs["runs"][0]["coalesced"] == 2);
  CHECK(f.call("GET", "/api/v1/runs?limit=0").status == 400);
  CHECK(f.call("GET", "/api/v1/runs?limit=x").status == 400);
  CHECK(body_of(f.call("GET", "/api/v1/runs?before=1"))["runs"].empty());

  auto one = f.call("GET", "/api/v1/runs/" + std::to_string(run));
  REQUIRE(one.status == 200);
  auto detail = body_of(one);
  CHECK(detail["run"]["result"] == "converged");
  CHECK(detail["hosts"][0]["output"] == outcome.output);
  CHECK(f.call("GET", "/api/v1/runs/999").status == 404);
  CHECK(f.call("GET", "/api/v1/runs/abc").status == 404);
  CHECK(f.call("GET", "/api/v1/runs/1/../../etc").status == 404);
}

TEST_CASE("metrics in Prometheus text") {
  ApiFixture f;
  REQUIRE(f.writer.sync_hosts({"web1", "web2"}).has_value());
  REQUIRE(f.writer.set_values({{"applied_commit_time", "1704067200"}}).has_value());
  REQUIRE(f.writer.record_run("push", "bad", 1, "rejected", "commit bad: not signed").has_value());
  auto metrics = f.call("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.find("text/plain; version=0.0.4") == 0);
  const std::string& text = metrics.body;
  CHECK(text.find("# TYPE reconcile_runs_total counter\n") != std::string::npos);
  CHECK(text.find("reconcile_runs_total{result=\"rejected\"} 1\n") != std::string::npos);
  CHECK(text.find("reconcile_runs_total{result=\"converged\"} 0\n") != std::string::npos);
  CHECK(text.find("reconcile_hosts{status=\"pending\"} 2\n") != std::string::npos);
  CHECK(text.find("reconcile_drift_events_total 0\n") != std::string::npos);
  CHECK(text.find("reconcile_last_applied_commit_timestamp_seconds 1704067200\n") !=
        std::string::npos);
  CHECK(text.find("reconcile_last_run_duration_seconds 0\n") != std::string::npos);
}

TEST_CASE("rate limit per client, refilled over time") {
  ApiFixture f;
  int accepted = 0;
  for (int i = 0; i < 100; ++i)
    accepted += f.call("GET", "/healthz").status == 200 ? 1 : 0;
  CHECK(accepted == 40);  // the burst
  auto limited = f.call("GET", "/healthz");
  CHECK(limited.status == 429);
  HttpRequest other{"GET", "/healthz", {}, "", "10.0.0.9"};
  CHECK(f.api.handle(other).status == 200);  // another client has its own bucket
  f.clock.advance(std::chrono::milliseconds(500));
  CHECK(f.call("GET", "/healthz").status == 200);  // 10 per second refill
}

TEST_CASE("bodies beyond the endpoint's limit are refused") {
  ApiFixture f;
  f.enable("s", "t");
  CHECK(f.api.body_limit("POST", "/hooks/git") == 1024 * 1024);
  CHECK(f.api.body_limit("POST", "/api/v1/reconcile?x") == 16 * 1024);
  CHECK(f.call("POST", "/api/v1/reconcile", {{"authorization", "Bearer t"}},
               std::string(17 * 1024, 'x'))
            .status == 413);
}
