#pragma once

// When the daemon runs. Triggers (a push through the post-receive hook, a
// webhook, the API, the interval, a host's retry time) arrive at any moment;
// at most one run is in progress, and every trigger that arrives while it
// runs is coalesced into one follow-up run, however many there were. The
// interval counts from the end of the last full run, so a push resets it.
//
// Pure state on a Clock's time, unit-tested with a FakeClock; not
// thread-safe (the daemon's run loop owns it and feeds it from its inbox).

#include <optional>
#include <string>
#include <vector>

#include "reconciler/daemon/clock.h"

namespace reconcile::daemon {

enum class TriggerKind {
  kStartup,        // the daemon started (or restarted after a crash)
  kInterval,       // drift repair
  kRetry,          // a failing host's backoff is over
  kPush,           // `reconcile trigger` (the post-receive hook)
  kWebhook,        // POST /hooks/git with a valid signature
  kApi,            // POST /api/v1/reconcile
  kReload,         // SIGHUP
  kOperatorRetry,  // `reconcile retry`: roll out a commit marked failed again
};

const char* trigger_name(TriggerKind kind);

struct RunRequest {
  std::vector<TriggerKind> triggers;  // distinct kinds, in order of arrival
  int coalesced = 0;                  // how many triggers this one run answers

  // Only a retry timer asked: run just the hosts that are due, do not fetch.
  bool retry_only() const;
  // "push+interval": for logs and the state store.
  std::string describe() const;
};

class Scheduler {
 public:
  // A startup trigger is pending, so the first start() runs at once.
  Scheduler(Duration interval, SteadyTime now);

  void set_interval(Duration interval, SteadyTime now);
  void add(TriggerKind kind);

  // The run to start now, or nullopt when one is in progress or nothing is
  // due. `retry_at` is the earliest time a failing host is due, if any.
  std::optional<RunRequest> start(SteadyTime now, std::optional<SteadyTime> retry_at);
  // The run started last has ended. `full` when it considered every host
  // (anything but a retry-only run): the next interval counts from now.
  void finish(SteadyTime now, bool full);

  // When start() would next return a run without any new trigger.
  SteadyTime next_wakeup(SteadyTime now, std::optional<SteadyTime> retry_at) const;

  bool running() const { return m_running; }
  bool has_pending() const { return !m_pending.empty(); }

 private:
  void push(TriggerKind kind);

  Duration m_interval;
  SteadyTime m_last_full_end;
  SteadyTime m_next_interval;
  bool m_running = false;
  std::vector<TriggerKind> m_pending;
  int m_pending_count = 0;
};

}  // namespace reconcile::daemon
