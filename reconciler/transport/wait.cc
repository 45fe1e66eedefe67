#include "reconciler/transport/wait.h"

#include <memory>

namespace reconcile::transport {

namespace {

// Shared between the coroutine and the handlers of the raced operations. The
// handlers may run after the coroutine went on (they were already queued when
// the race was decided), so they only touch `event` while `decided` is false,
// that is while the coroutine is still suspended on it.
struct RaceState {
  bool decided = false;
  bool ready = false;
  asio::steady_timer* event = nullptr;
};

}  // namespace

asio::awaitable<WaitOutcome> wait_any(std::vector<Waitable> targets, Clock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  // The timer is the event the coroutine sleeps on: it expires at the
  // deadline, or is cancelled early by the first target that becomes ready.
  asio::steady_timer event(executor, deadline);
  auto state = std::make_shared<RaceState>();
  state->event = &event;
  for (const Waitable& target : targets) {
    target.start([state](boost::system::error_code error) {
      if (state->decided || error == asio::error::operation_aborted) return;
      state->ready = true;
      state->event->cancel();
    });
  }
  boost::system::error_code ignored;
  co_await event.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  state->decided = true;
  for (const Waitable& target : targets)
    target.cancel();
  co_return state->ready ? WaitOutcome::kReady : WaitOutcome::kDeadline;
}

asio::awaitable<WaitOutcome> wait_one(Waitable target, Clock::time_point deadline) {
  std::vector<Waitable> targets;
  targets.push_back(std::move(target));
  co_return co_await wait_any(std::move(targets), deadline);
}

asio::awaitable<void> sleep_until(Clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<AsyncLock::Guard> AsyncLock::lock() {
  while (m_locked) {
    // Sleeps until unlock() cancels this timer; then tries again, since
    // another coroutine may have taken the lock in between.
    asio::steady_timer wakeup(co_await asio::this_coro::executor, Clock::time_point::max());
    m_waiters.push_back(&wakeup);
    boost::system::error_code ignored;
    co_await wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  m_locked = true;
  co_return Guard(this);
}

void AsyncLock::unlock() {
  m_locked = false;
  if (!m_waiters.empty()) {
    asio::steady_timer* next = m_waiters.front();
    m_waiters.pop_front();
    next->cancel();
  }
}

}  // namespace reconcile::transport
