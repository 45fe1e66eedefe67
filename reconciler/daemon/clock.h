#pragma once

// The clock seam. Everything in the daemon that depends on time (the
// interval, retry backoff, trigger coalescing, rate limits, timestamps in the
// state store) asks a Clock, so that tests can run hours of schedule in
// microseconds with a FakeClock.

#include <chrono>
#include <cstdint>

namespace reconcile::daemon {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for schedules; never jumps when the wall clock is set.
  virtual SteadyTime now() const = 0;
  // Calendar time for records people read.
  virtual WallTime wall_now() const = 0;
};

// The real clocks. Thread-safe.
Clock& system_clock();

// A clock that moves only when told to. Not thread-safe: for single-threaded
// tests.
class FakeClock final : public Clock {
 public:
  FakeClock();
  SteadyTime now() const override { return m_now; }
  WallTime wall_now() const override { return m_wall; }
  // Moves both clocks forward.
  void advance(Duration by) {
    m_now += by;
    m_wall += std::chrono::duration_cast<WallTime::duration>(by);
  }

 private:
  SteadyTime m_now;
  WallTime m_wall;
};

// Unix time in seconds, with milliseconds, for the state store and JSON.
double unix_seconds(WallTime time);

}  // namespace reconcile::daemon
