#include "reconciler/transport/fake_transport.h"

#include <algorithm>

#include "reconciler/transport/wait.h"

namespace reconcile::transport {

asio::awaitable<Status> FakeTransport::connect() {
  if (m_connect_error) co_return *m_connect_error;
  if (!m_connected) {
    m_connected = true;
    m_closed = false;
    ++m_stats.connections;
  }
  co_return ok();
}

asio::awaitable<Result<Output>> FakeTransport::run(std::string_view script, std::string_view input,
                                                   const RunOptions& options) {
  // A named local, moved: g++ 12 destroys a prvalue argument of a coroutine
  // call inside co_await twice (GCC PR 99576).
  Call call;
  call.script = std::string(script);
  call.input = std::string(input);
  co_return co_await answer(std::move(call), options);
}

asio::awaitable<Result<Output>> FakeTransport::run_streamed(std::string_view script,
                                                            InputSource& input,
                                                            const RunOptions& options) {
  Call call;
  call.script = std::string(script);
  call.streamed = true;
  char buffer[65536];
  while (true) {
    auto count = input.read(buffer, sizeof buffer);
    if (!count.has_value()) co_return std::move(count).error();
    if (*count == 0) break;
    call.input.append(buffer, *count);
  }
  co_return co_await answer(std::move(call), options);
}

asio::awaitable<Result<Output>> FakeTransport::answer(Call call, const RunOptions& options) {
  CO_TRY_STATUS(co_await connect());
  ++m_stats.channels;
  m_stats.bytes_sent += call.script.size() + call.input.size();
  m_calls.push_back(call);
  if (m_delay.count() > 0) {
    auto wait = std::min(m_delay, options.timeout);
    co_await sleep_until(Clock::now() + wait);
    if (m_delay > options.timeout) {
      co_return deadline_exceeded(m_name + ": the script did not finish within " +
                                  std::to_string(options.timeout.count()) + " ms");
    }
  }
  Result<Output> output = Output{0, "", "", "", false};
  if (!m_queue.empty()) {
    output = std::move(m_queue.front());
    m_queue.pop_front();
  } else if (m_responder) {
    output = m_responder(call);
  }
  if (output.has_value()) m_stats.bytes_received += output->out.size() + output->err.size();
  co_return output;
}

asio::awaitable<void> FakeTransport::close() {
  m_connected = false;
  m_closed = true;
  co_return;
}

}  // namespace reconcile::transport
