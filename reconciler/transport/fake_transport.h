#pragma once

// A Transport for unit tests: records every script and input it is given
// and answers with canned outputs, without touching any host. It can also
// fail to connect, or take time (on the io_context's clock), to exercise
// retries and timeouts in the code that uses a transport.

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/transport/transport.h"

namespace reconcile::transport {

class FakeTransport : public Transport {
 public:
  struct Call {
    std::string script;
    std::string input;  // for run_streamed: everything the source yielded
    bool streamed = false;
  };
  using Responder = std::function<Result<Output>(const Call&)>;

  explicit FakeTransport(std::string name = "fake") : m_name(std::move(name)) {}

  // Answers, in order, for the next runs; when the queue is empty the
  // responder (if set) answers, else the run gets exit code 0 and no output.
  void push_output(Result<Output> output) { m_queue.push_back(std::move(output)); }
  void set_responder(Responder responder) { m_responder = std::move(responder); }
  // Makes every connect (and so every run) fail with `error` until cleared.
  void fail_connect(std::optional<Error> error) { m_connect_error = std::move(error); }
  // Makes every run take `delay`; a run whose timeout is shorter fails with
  // kDeadlineExceeded after its timeout, like a real transport.
  void set_delay(std::chrono::milliseconds delay) { m_delay = delay; }

  const std::vector<Call>& calls() const { return m_calls; }
  bool closed() const { return m_closed; }

  std::string describe() const override { return m_name; }
  asio::awaitable<Status> connect() override;
  asio::awaitable<Result<Output>> run(std::string_view script, std::string_view input,
                                      const RunOptions& options) override;
  asio::awaitable<Result<Output>> run_streamed(std::string_view script, InputSource& input,
                                               const RunOptions& options) override;
  asio::awaitable<void> close() override;
  TransportStats stats() const override { return m_stats; }

 private:
  asio::awaitable<Result<Output>> answer(Call call, const RunOptions& options);

  std::string m_name;
  std::deque<Result<Output>> m_queue;
  Responder m_responder;
  std::optional<Error> m_connect_error;
  std::chrono::milliseconds m_delay{0};
  std::vector<Call> m_calls;
  bool m_connected = false;
  bool m_closed = false;
  TransportStats m_stats;
};

}  // namespace reconcile::transport
