#pragma once

// Retry backoff for failing hosts. A host that fails (a change failed, it did
// not converge, it could not be reached) is not tried again at every trigger:
// it waits initial, 2x, 4x ... up to `max` after each consecutive failure,
// and one success clears its record. A new commit may be tried on a backing-
// off host at once (it may be the fix), but when that commit fails too the
// wait continues to grow, so no commit is re-applied at full speed.
//
// Pure bookkeeping on a Clock's time; not thread-safe (the daemon's run loop
// owns it).

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reconciler/daemon/clock.h"

namespace reconcile::daemon {

struct BackoffPolicy {
  std::chrono::seconds initial{10};
  std::chrono::seconds max{900};
};

// The wait after `failures` consecutive failures (1 → initial, doubling,
// capped at max; 0 → no wait).
std::chrono::seconds backoff_delay(const BackoffPolicy& policy, int failures);

class HostBackoff {
 public:
  explicit HostBackoff(BackoffPolicy policy) : m_policy(policy) {}

  void set_policy(BackoffPolicy policy) { m_policy = policy; }

  void record_success(const std::string& host) { m_failing.erase(host); }
  // The host failed while applying `commit` at `now`.
  void record_failure(const std::string& host, const std::string& commit, SteadyTime now);

  // True unless the host is backing off and `commit` is the one that failed.
  bool may_run(const std::string& host, const std::string& commit, SteadyTime now) const;

  // The earliest time a backing-off host is due again, if any host is.
  std::optional<SteadyTime> next_retry() const;
  // Backing-off hosts whose wait is over at `now`.
  std::vector<std::string> due(SteadyTime now) const;

  int failures(const std::string& host) const;
  std::optional<SteadyTime> retry_at(const std::string& host) const;

  // Drops hosts that are no longer in the repository.
  void keep_only(const std::set<std::string>& hosts);

 private:
  struct Failing {
    int failures = 0;
    std::string commit;
    SteadyTime retry_at;
  };

  BackoffPolicy m_policy;
  std::map<std::string, Failing> m_failing;
};

}  // namespace reconcile::daemon
