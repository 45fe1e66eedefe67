#include "reconciler/daemon/backoff.h"

#include <algorithm>

namespace reconcile::daemon {

std::chrono::seconds backoff_delay(const BackoffPolicy& policy, int failures) {
  if (failures <= 0) return std::chrono::seconds(0);
  std::chrono::seconds delay = policy.initial;
  // Doubling stops at the cap, so the loop is short and never overflows.
  for (int i = 1; i < failures && delay < policy.max; ++i)
    delay *= 2;
  return std::min(delay, policy.max);
}

void HostBackoff::record_failure(const std::string& host, const std::string& commit,
                                 SteadyTime now) {
  Failing& entry = m_failing[host];
  ++entry.failures;
  entry.commit = commit;
  entry.retry_at = now + backoff_delay(m_policy, entry.failures);
}

bool HostBackoff::may_run(const std::string& host, const std::string& commit,
                          SteadyTime now) const {
  auto it = m_failing.find(host);
  if (it == m_failing.end()) return true;
  return it->second.commit != commit || now >= it->second.retry_at;
}

std::optional<SteadyTime> HostBackoff::next_retry() const {
  std::optional<SteadyTime> earliest;
  for (const auto& [host, entry] : m_failing) {
    if (!earliest || entry.retry_at < *earliest) earliest = entry.retry_at;
  }
  return earliest;
}

std::vector<std::string> HostBackoff::due(SteadyTime now) const {
  std::vector<std::string> hosts;
  for (const auto& [host, entry] : m_failing) {
    if (now >= entry.retry_at) hosts.push_back(host);
  }
  return hosts;
}

int HostBackoff::failures(const std::string& host) const {
  auto it = m_failing.find(host);
  return it == m_failing.end() ? 0 : it->second.failures;
}

std::optional<SteadyTime> HostBackoff::retry_at(const std::string& host) const {
  auto it = m_failing.find(host);
  if (it == m_failing.end()) return std::nullopt;
  return it->second.retry_at;
}

void HostBackoff::keep_only(const std::set<std::string>& hosts) {
  std::erase_if(m_failing, [&](const auto& item) { return hosts.count(item.first) == 0; });
}

}  // namespace reconcile::daemon
