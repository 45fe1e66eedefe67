#include "reconciler/daemon/clock.h"

namespace reconcile::daemon {

namespace {

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

// A fixed, arbitrary start (2024-01-01T00:00:00Z) so test output is stable.
FakeClock::FakeClock()
    : m_now(SteadyTime() + std::chrono::hours(1)),
      m_wall(WallTime() + std::chrono::seconds(1704067200)) {}

double unix_seconds(WallTime time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  return static_cast<double>(ms.count()) / 1000.0;
}

}  // namespace reconcile::daemon
