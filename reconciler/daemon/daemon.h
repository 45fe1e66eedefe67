#pragma once

// `reconcile watch`: the GitOps daemon. On every trigger (scheduler.h) it
// fetches the watched branch into its mirror, passes a new tip through the
// commit gate (signatures, validation; commit_gate.h), and runs the engine
// on every host that is not backing off (backoff.h), recording everything in
// the state store (state_store.h). One run at a time, on the thread that
// calls serve(); HTTP, the trigger socket and signals live on the service
// thread (service.h).
//
// State directory layout:
//   state.db (+ -wal, -shm)   the state store
//   mirror.git/               the bare mirror of the repository
//   trigger.sock              the trigger socket
//   daemon.lock               held while a daemon runs (one per directory)
//
// The desired state is the last commit that passed the gate. A tip that
// fails it is recorded (run result "rejected" or "invalid", and in the
// daemon state) and never applied; the previous desired state keeps being
// applied at every interval, so drift repair continues.
//
// Runs are rollouts (runner.h). When the rollout of a commit stops on
// failures, that commit is marked failed (daemon state `failed_commit`) and
// is not rolled out again, at any interval or retry time, until a new
// commit arrives or an operator runs `reconcile retry` (TriggerKind::
// kOperatorRetry). Meanwhile the hosts the failed rollout reached keep the
// state they reached (not touched), and the other hosts get drift repair at
// the last good commit (the last one whose rollout did not stop).

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "reconciler/daemon/allowed_signers.h"
#include "reconciler/daemon/backoff.h"
#include "reconciler/daemon/clock.h"
#include "reconciler/daemon/commit_gate.h"
#include "reconciler/daemon/inbox.h"
#include "reconciler/daemon/runner.h"
#include "reconciler/daemon/scheduler.h"
#include "reconciler/daemon/service.h"
#include "reconciler/daemon/settings.h"
#include "reconciler/daemon/state_store.h"

namespace reconcile::daemon {

struct DaemonDependencies {
  Clock* clock = &system_clock();
  HostRunner runner;
  // Reads the settings again (SIGHUP). Null: reload only re-reads the files
  // the current settings name.
  std::function<Result<DaemonSettings>()> reload;
  bool handle_signals = true;  // off in tests that run several daemons
};

class Daemon {
 public:
  // Creates the state directory (0700) if needed, takes its lock, opens and
  // migrates the store, marks runs a crash left "running" as interrupted,
  // reads the allowed signers and API secrets, and loads the last desired
  // commit from the mirror. Starts no thread.
  // Errors: kFailedPrecondition (lock held by another daemon, store),
  // kInvalidArgument (settings, allowed signers, secret files).
  static Result<std::unique_ptr<Daemon>> open(DaemonSettings settings, DaemonDependencies deps);
  ~Daemon();

  // Starts the service thread and runs until SIGTERM/SIGINT (or
  // inbox().request_stop()). Returns the process exit code: 0 after a clean
  // stop, 1 when the service cannot start.
  int serve();

  // One run for `request` (serve() calls this; tests call it directly).
  void cycle(const RunRequest& request);

  Inbox& inbox() { return m_inbox; }
  Scheduler& scheduler() { return m_scheduler; }
  HostBackoff& backoff() { return m_backoff; }
  StateStore& store() { return *m_store; }
  const DaemonSettings& settings() const { return m_settings; }
  // The commit the daemon applies ("" before any commit passed the gate).
  std::string desired_commit() const { return m_desired ? m_desired->commit : ""; }
  // The commit whose rollout stopped on failures ("" when none is stuck).
  const std::string& failed_commit() const { return m_failed_commit; }
  // The last commit whose rollout went through ("" when none is loaded).
  std::string last_good_commit() const { return m_last_good ? m_last_good->commit : ""; }
  uint16_t http_port() const { return m_service ? m_service->http_port() : 0; }

  struct Paths {
    std::string store, mirror, socket, lock;
  };
  static Paths paths_for(const std::string& state_dir);

 private:
  Daemon(DaemonSettings settings, DaemonDependencies deps);

  Status load_trust(const DaemonSettings& settings, std::optional<AllowedSigners>& signers,
                    ApiConfig& api) const;
  void reload();
  void record_daemon_settings();
  // Fetches and gates the tip. Returns false when the tip was refused just
  // now: that run records the refusal and touches no host.
  bool refresh(const RunRequest& request);
  void accept(std::unique_ptr<LoadedCommit> commit, int checked);
  void reject(const RunRequest& request, const std::string& tip, const char* kind,
              const std::string& reason);
  std::vector<const state::Host*> select_hosts(const RunRequest& request,
                                               const LoadedCommit& target);
  void run_selected(const RunRequest& request, const std::vector<const state::Host*>& hosts,
                    const std::shared_ptr<LoadedCommit>& target);
  void note_host(int64_t run_id, const std::string& commit, const HostOutcome& outcome,
                 const std::map<std::string, HostRecord>& prior);
  // Marks m_desired failed after its rollout stopped; `touched` are the
  // hosts it reached, which are left alone until the mark is cleared.
  void mark_failed(const std::string& reason, const std::set<std::string>& touched);
  void clear_failed(const char* why);
  void restore_rollout_state(const std::map<std::string, std::string>& values);
  double wall_in(SteadyTime at) const;

  DaemonSettings m_settings;
  DaemonDependencies m_deps;
  Clock& m_clock;
  Paths m_paths;
  int m_lock_fd = -1;
  std::optional<StateStore> m_store;
  Inbox m_inbox;
  Scheduler m_scheduler;
  HostBackoff m_backoff;
  std::optional<AllowedSigners> m_signers;  // set when signatures are required
  ApiConfig m_api;
  std::shared_ptr<LoadedCommit> m_desired;
  std::shared_ptr<LoadedCommit> m_last_good;  // drift repair while m_desired is failed
  std::string m_failed_commit;
  std::set<std::string> m_failed_hosts;  // reached by the failed rollout
  std::string m_rejected_commit;         // the refused tip, not checked again until it changes
  std::unique_ptr<Service> m_service;
};

}  // namespace reconcile::daemon
