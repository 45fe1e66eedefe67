#include "reconciler/daemon/scheduler.h"

#include <algorithm>

namespace reconcile::daemon {

const char* trigger_name(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kStartup:
      return "startup";
    case TriggerKind::kInterval:
      return "interval";
    case TriggerKind::kRetry:
      return "retry";
    case TriggerKind::kPush:
      return "push";
    case TriggerKind::kWebhook:
      return "webhook";
    case TriggerKind::kApi:
      return "api";
    case TriggerKind::kReload:
      return "reload";
    case TriggerKind::kOperatorRetry:
      return "operator-retry";
  }
  return "unknown";
}

bool RunRequest::retry_only() const {
  return std::all_of(triggers.begin(), triggers.end(),
                     [](TriggerKind kind) { return kind == TriggerKind::kRetry; });
}

std::string RunRequest::describe() const {
  std::string text;
  for (TriggerKind kind : triggers) {
    if (!text.empty()) text += '+';
    text += trigger_name(kind);
  }
  return text;
}

Scheduler::Scheduler(Duration interval, SteadyTime now)
    : m_interval(interval), m_last_full_end(now), m_next_interval(now + interval) {
  push(TriggerKind::kStartup);
}

void Scheduler::set_interval(Duration interval, SteadyTime now) {
  m_interval = interval;
  // A shorter interval takes effect at once rather than after the old one.
  m_next_interval = std::max(now, m_last_full_end + interval);
}

void Scheduler::add(TriggerKind kind) {
  push(kind);
}

void Scheduler::push(TriggerKind kind) {
  ++m_pending_count;
  if (std::find(m_pending.begin(), m_pending.end(), kind) == m_pending.end()) {
    m_pending.push_back(kind);
  }
}

std::optional<RunRequest> Scheduler::start(SteadyTime now, std::optional<SteadyTime> retry_at) {
  if (m_running) return std::nullopt;
  if (now >= m_next_interval) push(TriggerKind::kInterval);
  if (retry_at && now >= *retry_at) push(TriggerKind::kRetry);
  if (m_pending.empty()) return std::nullopt;
  RunRequest request;
  request.triggers = std::move(m_pending);
  request.coalesced = m_pending_count;
  m_pending.clear();
  m_pending_count = 0;
  m_running = true;
  return request;
}

void Scheduler::finish(SteadyTime now, bool full) {
  m_running = false;
  if (full) {
    m_last_full_end = now;
    m_next_interval = now + m_interval;
  }
}

SteadyTime Scheduler::next_wakeup(SteadyTime now, std::optional<SteadyTime> retry_at) const {
  if (!m_pending.empty() && !m_running) return now;
  SteadyTime wakeup = m_next_interval;
  if (retry_at && *retry_at < wakeup) wakeup = *retry_at;
  return wakeup;
}

}  // namespace reconcile::daemon
