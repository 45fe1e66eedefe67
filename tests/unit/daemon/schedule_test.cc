// Trigger coalescing and retry backoff, on a fake clock: hours of schedule
// in no time, and exact.

#include <doctest/doctest.h>

#include "reconciler/daemon/backoff.h"
#include "reconciler/daemon/scheduler.h"

using namespace reconcile::daemon;
using std::chrono::seconds;

TEST_CASE("the first run starts at once, then runs follow the interval") {
  FakeClock clock;
  Scheduler scheduler(seconds(60), clock.now());
  auto first = scheduler.start(clock.now(), std::nullopt);
  REQUIRE(first.has_value());
  CHECK(first->describe() == "startup");
  CHECK_FALSE(scheduler.start(clock.now(), std::nullopt).has_value());  // one at a time
  clock.advance(seconds(5));
  scheduler.finish(clock.now(), true);
  CHECK(scheduler.next_wakeup(clock.now(), std::nullopt) == clock.now() + seconds(60));
  clock.advance(seconds(59));
  CHECK_FALSE(scheduler.start(clock.now(), std::nullopt).has_value());
  clock.advance(seconds(1));
  auto interval = scheduler.start(clock.now(), std::nullopt);
  REQUIRE(interval.has_value());
  CHECK(interval->describe() == "interval");
}

TEST_CASE("triggers during a run coalesce into one follow-up run") {
  FakeClock clock;
  Scheduler scheduler(seconds(60), clock.now());
  REQUIRE(scheduler.start(clock.now(), std::nullopt).has_value());
  for (int i = 0; i < 5; ++i)
    scheduler.add(TriggerKind::kPush);
  scheduler.add(TriggerKind::kWebhook);
  scheduler.add(TriggerKind::kPush);
  CHECK_FALSE(scheduler.start(clock.now(), std::nullopt).has_value());  // still running
  clock.advance(seconds(3));
  scheduler.finish(clock.now(), true);
  CHECK(scheduler.next_wakeup(clock.now(), std::nullopt) == clock.now());
  auto follow_up = scheduler.start(clock.now(), std::nullopt);
  REQUIRE(follow_up.has_value());
  CHECK(follow_up->describe() == "push+webhook");
  CHECK(follow_up->coalesced == 7);
  scheduler.finish(clock.now(), true);
  CHECK_FALSE(scheduler.start(clock.now(), std::nullopt).has_value());  // nothing left
}

TEST_CASE("a push resets the interval; a retry-only run does not") {
  FakeClock clock;
  Scheduler scheduler(seconds(60), clock.now());
  REQUIRE(scheduler.start(clock.now(), std::nullopt).has_value());
  scheduler.finish(clock.now(), true);
  clock.advance(seconds(50));
  scheduler.add(TriggerKind::kPush);
  REQUIRE(scheduler.start(clock.now(), std::nullopt).has_value());
  scheduler.finish(clock.now(), true);
  CHECK(scheduler.next_wakeup(clock.now(), std::nullopt) == clock.now() + seconds(60));

  SteadyTime retry = clock.now() + seconds(20);
  CHECK(scheduler.next_wakeup(clock.now(), retry) == retry);
  clock.advance(seconds(20));
  auto retry_run = scheduler.start(clock.now(), retry);
  REQUIRE(retry_run.has_value());
  CHECK(retry_run->retry_only());
  scheduler.finish(clock.now(), false);
  // The interval still counts from the push.
  CHECK(scheduler.next_wakeup(clock.now(), std::nullopt) == clock.now() + seconds(40));
}

TEST_CASE("a shorter interval set on reload takes effect at once") {
  FakeClock clock;
  Scheduler scheduler(seconds(600), clock.now());
  REQUIRE(scheduler.start(clock.now(), std::nullopt).has_value());
  scheduler.finish(clock.now(), true);
  clock.advance(seconds(120));
  scheduler.set_interval(seconds(60), clock.now());
  CHECK(scheduler.next_wakeup(clock.now(), std::nullopt) == clock.now());
}

TEST_CASE("backoff doubles from the initial wait and stops at the cap") {
  BackoffPolicy policy{seconds(10), seconds(300)};
  CHECK(backoff_delay(policy, 0) == seconds(0));
  CHECK(backoff_delay(policy, 1) == seconds(10));
  CHECK(backoff_delay(policy, 2) == seconds(20));
  CHECK(backoff_delay(policy, 3) == seconds(40));
  CHECK(backoff_delay(policy, 5) == seconds(160));
  CHECK(backoff_delay(policy, 6) == seconds(300));
  CHECK(backoff_delay(policy, 1000) == seconds(300));
}

TEST_CASE("a failing host waits out its backoff at the same commit, not at a new one") {
  FakeClock clock;
  HostBackoff backoff({seconds(10), seconds(60)});
  CHECK(backoff.may_run("web1", "c1", clock.now()));
  backoff.record_failure("web1", "c1", clock.now());
  CHECK_FALSE(backoff.may_run("web1", "c1", clock.now()));
  CHECK(backoff.may_run("web1", "c2", clock.now()));  // a new commit may be the fix
  CHECK(backoff.may_run("web2", "c1", clock.now()));  // other hosts are not held up
  CHECK(backoff.next_retry() == clock.now() + seconds(10));
  CHECK(backoff.due(clock.now()).empty());

  // The schedule of retries of one commit that keeps failing.
  std::vector<int> waits;
  for (int i = 0; i < 6; ++i) {
    SteadyTime before = clock.now();
    SteadyTime due = *backoff.retry_at("web1");
    clock.advance(due - before - seconds(1));
    CHECK_FALSE(backoff.may_run("web1", "c1", clock.now()));
    clock.advance(seconds(1));
    CHECK(backoff.may_run("web1", "c1", clock.now()));
    CHECK(backoff.due(clock.now()) == std::vector<std::string>{"web1"});
    waits.push_back(static_cast<int>(std::chrono::duration_cast<seconds>(due - before).count()));
    backoff.record_failure("web1", "c1", clock.now());
  }
  CHECK(waits == std::vector<int>{10, 20, 40, 60, 60, 60});
  CHECK(backoff.failures("web1") == 7);

  // A new commit that fails too keeps the wait growing (no hot loop).
  backoff.record_failure("web1", "c2", clock.now());
  CHECK(*backoff.retry_at("web1") == clock.now() + seconds(60));

  backoff.record_success("web1");
  CHECK(backoff.may_run("web1", "c2", clock.now()));
  CHECK(backoff.failures("web1") == 0);
  CHECK_FALSE(backoff.next_retry().has_value());
}

TEST_CASE("hosts removed from the repository leave the backoff table") {
  FakeClock clock;
  HostBackoff backoff({seconds(10), seconds(60)});
  backoff.record_failure("web1", "c1", clock.now());
  backoff.record_failure("web2", "c1", clock.now());
  backoff.keep_only({"web2"});
  CHECK(backoff.failures("web1") == 0);
  CHECK(backoff.failures("web2") == 1);
}
