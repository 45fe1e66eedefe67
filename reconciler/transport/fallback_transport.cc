#include "reconciler/transport/fallback_transport.h"

#include <spdlog/spdlog.h>

namespace reconcile::transport {

namespace {

class FallbackTransport : public Transport {
 public:
  explicit FallbackTransport(std::vector<TransportMaker> candidates)
      : m_candidates(std::move(candidates)) {
    m_active = m_candidates.front()();
  }

  std::string describe() const override { return m_active->describe(); }
  int port() const override { return m_active->port(); }

  asio::awaitable<Status> connect() override {
    if (m_connected) co_return ok();
    Status first = co_await m_active->connect();
    if (first) {
      m_connected = true;
      co_return ok();
    }
    if (!unreachable(first.error())) co_return first;
    std::string tried = m_active->describe() + ": " + first.error().message();
    for (size_t i = 1; i < m_candidates.size(); ++i) {
      std::unique_ptr<Transport> next = m_candidates[i]();
      Status status = co_await next->connect();
      if (status) {
        spdlog::debug("{} did not answer; connected on {}", m_active->describe(), next->describe());
        m_earlier += m_active->stats();
        co_await m_active->close();
        m_active = std::move(next);
        m_connected = true;
        co_return ok();
      }
      tried += "; " + next->describe() + ": " + status.error().message();
      m_earlier += next->stats();
      co_await next->close();
      if (!unreachable(status.error())) break;
    }
    co_return Error(first.error().code(), tried);
  }

  asio::awaitable<Result<Output>> run(std::string_view script, std::string_view input,
                                      const RunOptions& options) override {
    if (!m_connected) CO_TRY_STATUS(co_await connect());
    co_return co_await m_active->run(script, input, options);
  }

  asio::awaitable<Result<Output>> run_streamed(std::string_view script, InputSource& input,
                                               const RunOptions& options) override {
    if (!m_connected) CO_TRY_STATUS(co_await connect());
    co_return co_await m_active->run_streamed(script, input, options);
  }

  asio::awaitable<void> close() override { co_await m_active->close(); }

  TransportStats stats() const override {
    TransportStats total = m_active->stats();
    total += m_earlier;
    return total;
  }

 private:
  static bool unreachable(const Error& error) {
    return error.code() == ErrorCode::kUnavailable || error.code() == ErrorCode::kDeadlineExceeded;
  }

  std::vector<TransportMaker> m_candidates;
  std::unique_ptr<Transport> m_active;
  TransportStats m_earlier;
  bool m_connected = false;
};

}  // namespace

std::unique_ptr<Transport> make_fallback_transport(std::vector<TransportMaker> candidates) {
  return std::make_unique<FallbackTransport>(std::move(candidates));
}

}  // namespace reconcile::transport
