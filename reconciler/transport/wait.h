#pragma once

// Readiness waits with a deadline, the one primitive the non-blocking
// transports are built on. libssh2 (and the local transport's raw pipe I/O)
// say which direction they would block in; the caller then waits here until
// one of its sockets or descriptors is ready, or the deadline passes.
//
// Boost 1.74 has no awaitable operators (`a || b`), so racing a wait against
// a timer is done by hand: every started operation completes into a shared
// state that outlives the coroutine frame, and whatever completes after the
// race is decided does nothing.

#include <chrono>
#include <deque>
#include <functional>
#include <vector>

#include "reconciler/transport/asio.h"

namespace reconcile::transport {

using Clock = std::chrono::steady_clock;

// One asynchronous operation to race: `start` begins it with a handler that
// must be called exactly once (with operation_aborted after `cancel`).
struct Waitable {
  std::function<void(std::function<void(boost::system::error_code)>)> start;
  std::function<void()> cancel;
};

// A socket, descriptor or resolver becoming ready for reading or writing.
template <typename Object>
Waitable wait_readable(Object& object) {
  return {[&object](auto handler) { object.async_wait(Object::wait_read, std::move(handler)); },
          [&object] {
            boost::system::error_code ignored;
            object.cancel(ignored);
          }};
}

template <typename Object>
Waitable wait_writable(Object& object) {
  return {[&object](auto handler) { object.async_wait(Object::wait_write, std::move(handler)); },
          [&object] {
            boost::system::error_code ignored;
            object.cancel(ignored);
          }};
}

enum class WaitOutcome { kReady, kDeadline };

// Starts every target and returns when the first completes (kReady, also
// when it completed with an error: the next non-blocking call reports it) or
// when `deadline` passes (kDeadline). All targets are cancelled before it
// returns, so the objects may be used again at once. Never blocks the thread.
asio::awaitable<WaitOutcome> wait_any(std::vector<Waitable> targets, Clock::time_point deadline);
// The same for a single target. (g++ 12 miscompiles braced vectors inside
// co_await expressions, so callers use this instead of `wait_any({x}, ...)`.)
asio::awaitable<WaitOutcome> wait_one(Waitable target, Clock::time_point deadline);

// Waits until `deadline` (a plain sleep, for retry loops and fakes).
asio::awaitable<void> sleep_until(Clock::time_point deadline);

// A lock for coroutines on one thread: lock() suspends while another
// coroutine holds it. Used to run one operation at a time on a session.
class AsyncLock {
 public:
  class Guard {
   public:
    explicit Guard(AsyncLock* lock) : m_lock(lock) {}
    Guard(Guard&& other) noexcept : m_lock(other.m_lock) { other.m_lock = nullptr; }
    Guard(const Guard&) = delete;
    ~Guard() {
      if (m_lock) m_lock->unlock();
    }

   private:
    AsyncLock* m_lock;
  };

  asio::awaitable<Guard> lock();

 private:
  void unlock();

  bool m_locked = false;
  std::deque<asio::steady_timer*> m_waiters;
};

}  // namespace reconcile::transport
