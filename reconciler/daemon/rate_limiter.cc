#include "reconciler/daemon/rate_limiter.h"

#include <algorithm>

namespace reconcile::daemon {

bool RateLimiter::allow(const std::string& client) {
  SteadyTime now = m_clock->now();
  auto it = m_buckets.find(client);
  if (it == m_buckets.end()) {
    if (m_buckets.size() >= m_max_clients) {
      auto oldest = std::min_element(
          m_buckets.begin(), m_buckets.end(),
          [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
      m_buckets.erase(oldest);
    }
    it = m_buckets.emplace(client, Bucket{m_burst, now}).first;
  }
  Bucket& bucket = it->second;
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(m_burst, bucket.tokens + elapsed * m_per_second);
  bucket.updated = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace reconcile::daemon
