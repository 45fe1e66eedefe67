#pragma once

// A minimal Transport for the runner tests: every run is answered by one
// responder, and a connection can be made to fail. (Kept here rather than
// using FakeTransport, whose run() on main still passes a braced temporary
// by value to a coroutine, which g++ 12 destroys twice: GCC PR 99576.)

#include <functional>
#include <optional>
#include <string>

#include "reconciler/transport/transport.h"

namespace reconcile::bootstrap::testing {

struct ScriptedCall {
  std::string script;
  std::string input;
  bool streamed = false;
};

class ScriptedTransport : public transport::Transport {
 public:
  using Responder = std::function<Result<transport::Output>(const ScriptedCall&)>;

  ScriptedTransport(Responder responder, std::optional<Error> connect_error)
      : m_responder(std::move(responder)), m_connect_error(std::move(connect_error)) {}

  std::string describe() const override { return "scripted"; }
  asio::awaitable<Status> connect() override {
    if (m_connect_error) co_return *m_connect_error;
    co_return ok();
  }
  asio::awaitable<Result<transport::Output>> run(std::string_view script, std::string_view input,
                                                 const transport::RunOptions&) override {
    if (m_connect_error) co_return *m_connect_error;
    ScriptedCall call;
    call.script = std::string(script);
    call.input = std::string(input);
    co_return m_responder(call);
  }
  asio::awaitable<Result<transport::Output>> run_streamed(std::string_view script,
                                                          transport::InputSource& input,
                                                          const transport::RunOptions&) override {
    if (m_connect_error) co_return *m_connect_error;
    ScriptedCall call;
    call.script = std::string(script);
    call.streamed = true;
    char buffer[65536];
    while (true) {
      auto count = input.read(buffer, sizeof buffer);
      if (!count) co_return std::move(count).error();
      if (*count == 0) break;
      call.input.append(buffer, *count);
    }
    co_return m_responder(call);
  }
  asio::awaitable<void> close() override { co_return; }
  transport::TransportStats stats() const override { return {}; }

 private:
  Responder m_responder;
  std::optional<Error> m_connect_error;
};

}  // namespace reconcile::bootstrap::testing
