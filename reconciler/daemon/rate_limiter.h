#pragma once

// A token bucket per client address for the HTTP API: each client may make
// `burst` requests at once and `per_second` on average. The table of clients
// is bounded; when full, the client seen longest ago is forgotten (it comes
// back with a full bucket, which is the safe direction for a local API).
// Time comes from the Clock seam. Not thread-safe (the HTTP server's thread
// owns it).

#include <cstddef>
#include <map>
#include <string>

#include "reconciler/daemon/clock.h"

namespace reconcile::daemon {

class RateLimiter {
 public:
  RateLimiter(Clock& clock, double per_second, double burst, size_t max_clients = 4096)
      : m_clock(&clock), m_per_second(per_second), m_burst(burst), m_max_clients(max_clients) {}

  // Takes one token from the client's bucket; false when it is empty.
  bool allow(const std::string& client);

 private:
  struct Bucket {
    double tokens = 0;
    SteadyTime updated;
  };

  Clock* m_clock;
  double m_per_second;
  double m_burst;
  size_t m_max_clients;
  std::map<std::string, Bucket> m_buckets;
};

}  // namespace reconcile::daemon
