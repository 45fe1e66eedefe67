#pragma once

// Calls a function every `interval` on an io_context until destroyed: the
// "still running" and "streamed N of M MiB" lines of long steps. The timer is
// cancelled on destruction, so a finished step never keeps the io_context
// busy.

#include <chrono>
#include <functional>
#include <memory>

#include "reconciler/transport/asio.h"

namespace reconcile::bootstrap {

class Ticker {
 public:
  Ticker(asio::io_context& io, std::chrono::milliseconds interval, std::function<void()> tick);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  struct State {
    explicit State(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::chrono::milliseconds interval{0};
    std::function<void()> tick;
    bool stopped = false;
  };
  static void arm(const std::shared_ptr<State>& state);

  std::shared_ptr<State> m_state;
};

}  // namespace reconcile::bootstrap
