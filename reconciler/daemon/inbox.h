#pragma once

// The daemon's mailbox: the HTTP server, the trigger socket and the signal
// handler run on a service thread and post here; the run loop waits on it.
// Thread-safe. stop_requested() is cheap enough to poll between host steps.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "reconciler/daemon/clock.h"
#include "reconciler/daemon/scheduler.h"

namespace reconcile::daemon {

struct Mail {
  std::vector<TriggerKind> triggers;
  bool reload = false;
  bool stop = false;
};

class Inbox {
 public:
  void post(TriggerKind kind);
  void request_reload();
  void request_stop();

  // Blocks until something is posted or the real steady clock reaches
  // `deadline`; returns (and clears) what was posted.
  Mail wait_until(SteadyTime deadline);
  // Returns (and clears) what was posted, without waiting.
  Mail take();

  bool stop_requested() const { return m_stop.load(); }

 private:
  Mail take_locked();

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<TriggerKind> m_triggers;
  bool m_reload = false;
  std::atomic<bool> m_stop{false};
};

}  // namespace reconcile::daemon
