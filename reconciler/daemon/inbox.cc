#include "reconciler/daemon/inbox.h"

namespace reconcile::daemon {

void Inbox::post(TriggerKind kind) {
  {
    std::lock_guard lock(m_mutex);
    m_triggers.push_back(kind);
  }
  m_changed.notify_all();
}

void Inbox::request_reload() {
  {
    std::lock_guard lock(m_mutex);
    m_reload = true;
  }
  m_changed.notify_all();
}

void Inbox::request_stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_changed.notify_all();
}

Mail Inbox::take_locked() {
  Mail mail;
  mail.triggers.swap(m_triggers);
  mail.reload = m_reload;
  m_reload = false;
  mail.stop = m_stop.load();
  return mail;
}

Mail Inbox::wait_until(SteadyTime deadline) {
  std::unique_lock lock(m_mutex);
  m_changed.wait_until(lock, deadline,
                       [&] { return !m_triggers.empty() || m_reload || m_stop.load(); });
  return take_locked();
}

Mail Inbox::take() {
  std::lock_guard lock(m_mutex);
  return take_locked();
}

}  // namespace reconcile::daemon
