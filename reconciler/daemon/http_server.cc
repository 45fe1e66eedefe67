// One coroutine accepts; one coroutine per connection reads a request in two
// steps (header, then a body bounded by what the endpoint allows), hands it
// to HttpApi and writes the response. Beast and Asio errors end the
// connection; none escapes the coroutine.

#include "reconciler/daemon/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace reconcile::daemon {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kMaxConnections = 64;
constexpr auto kDeadline = std::chrono::seconds(10);

struct HttpServer::State {
  explicit State(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  HttpApi* api = nullptr;
  int connections = 0;
  bool stopped = false;
};

namespace {

using Response = http::response<http::string_body>;

Response to_beast(const HttpResponse& response, unsigned version, bool keep_alive, bool head) {
  Response out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "reconcile");
  out.set(http::field::content_type, response.content_type);
  out.set(http::field::cache_control, "no-store");
  out.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : response.headers)
    out.set(name, value);
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  if (head) out.body().clear();  // Content-Length stays that of the GET
  return out;
}

HttpRequest from_beast(const http::request<http::string_body>& request, const std::string& client) {
  HttpRequest out;
  out.method = std::string(request.method_string());
  out.target = std::string(request.target());
  out.body = request.body();
  out.client = client;
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  return out;
}

// Answers with an error and closes without a reset: the client may still be
// sending the body we refused, and closing with unread data would make the
// kernel send RST, which can destroy our answer before the client reads it.
// So: answer, shut down our side, and drain what comes for a moment.
asio::awaitable<void> refuse(beast::tcp_stream& stream, int status, const char* message) {
  Response response = to_beast(json_error(status, message), 11, false, false);
  beast::error_code ec;
  stream.expires_after(kDeadline);
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  for (size_t drained = 0; !ec && drained < 4 * 1024 * 1024;) {
    drained += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> serve_connection(tcp::socket socket,
                                       std::shared_ptr<HttpServer::State> state) {
  beast::tcp_stream stream(std::move(socket));
  beast::error_code ec;
  std::string client = stream.socket().remote_endpoint(ec).address().to_string();
  beast::flat_buffer buffer;
  HttpApi& api = *state->api;
  while (!state->stopped) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(api.limits().header_bytes));
    // Beast checks Content-Length against the body limit while reading the
    // header; the endpoint's own limit is applied below, once it is known.
    parser.body_limit(std::max(api.limits().body_bytes, api.limits().webhook_body_bytes));
    stream.expires_after(kDeadline);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::header_limit) {
      co_await refuse(stream, 431, "request header too large");
      break;
    }
    if (ec) break;
    auto& header = parser.get();
    size_t limit =
        api.body_limit(std::string(header.method_string()), std::string(header.target()));
    auto length = parser.content_length();
    if (length && *length > limit) {  // refused before the client sends it
      co_await refuse(stream, 413, "request body too large");
      break;
    }
    parser.body_limit(limit);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {  // chunked bodies have no length up front
      co_await refuse(stream, 413, "request body too large");
      break;
    }
    if (ec) break;
    const auto& request = parser.get();
    HttpResponse response = api.handle(from_beast(request, client));
    bool keep_alive = request.keep_alive() && !state->stopped;
    Response out =
        to_beast(response, request.version(), keep_alive, request.method() == http::verb::head);
    stream.expires_after(kDeadline);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  --state->connections;
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::State> state) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("http: accept: {}", ec.message());
      continue;
    }
    if (state->connections >= kMaxConnections) {
      socket.close(ec);  // over the limit: refuse rather than queue
      continue;
    }
    ++state->connections;
    auto executor = state->acceptor.get_executor();
    asio::co_spawn(executor, serve_connection(std::move(socket), state), asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(asio::io_context& io,
                                                      const std::string& address, uint16_t port,
                                                      HttpApi& api) {
  auto state = std::make_shared<State>(io);
  state->api = &api;
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return invalid_argument("listen address '" + address + "': " + ec.message());
  tcp::endpoint endpoint(ip, port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return failed_precondition("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                               ec.message());
  }
  uint16_t bound = state->acceptor.local_endpoint(ec).port();
  asio::co_spawn(io, accept_loop(state), asio::detached);
  return std::unique_ptr<HttpServer>(new HttpServer(state, bound));
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  if (m_state->stopped) return;
  m_state->stopped = true;
  boost::system::error_code ec;
  m_state->acceptor.close(ec);
}

}  // namespace reconcile::daemon
