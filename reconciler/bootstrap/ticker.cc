#include "reconciler/bootstrap/ticker.h"

namespace reconcile::bootstrap {

Ticker::Ticker(asio::io_context& io, std::chrono::milliseconds interval, std::function<void()> tick)
    : m_state(std::make_shared<State>(io)) {
  m_state->interval = interval;
  m_state->tick = std::move(tick);
  arm(m_state);
}

Ticker::~Ticker() {
  m_state->stopped = true;
  boost::system::error_code ignored;
  m_state->timer.cancel(ignored);
}

void Ticker::arm(const std::shared_ptr<State>& state) {
  state->timer.expires_after(state->interval);
  state->timer.async_wait([state](const boost::system::error_code& error) {
    if (error || state->stopped) return;
    state->tick();
    arm(state);
  });
}

}  // namespace reconcile::bootstrap
