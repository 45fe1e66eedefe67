#pragma once

// The daemon's state store: an SQLite database (WAL mode) in the state
// directory, with runs, per-host status, each run's per-host plan summary
// and redacted output, drift events, and the daemon's own state (accepted
// and rejected commits, fetch errors). The daemon writes through one
// read-write StateStore; `reconcile status` and the HTTP API read through
// their own read-only ones, which WAL lets run while the daemon writes.
//
// Every write is one transaction, so a daemon killed at any point leaves a
// consistent store; runs left "running" by a crash are marked
// "interrupted" by the next daemon (mark_interrupted_runs).
//
// A StateStore is used by one thread at a time. Nothing secret is stored:
// host output comes redacted from the runner.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/daemon/clock.h"
#include "reconciler/daemon/outcome.h"
#include "reconciler/daemon/sqlite.h"

namespace reconcile::daemon {

struct RunRecord {
  int64_t id = 0;
  std::string trigger;
  std::string commit;
  double started_at = 0;
  std::optional<double> finished_at;
  std::string result;
  std::string error;
  int hosts_total = 0;
  int coalesced = 1;
};

struct RunHostRecord {
  std::string host;
  std::string status;
  std::string error;
  int changes = 0;
  int applied = 0;
  int failed = 0;
  std::string plan_summary;
  std::string output;
  double seconds = 0;
};

struct HostRecord {
  std::string name;
  std::string status;
  std::string applied_commit;
  std::string last_error;
  std::optional<int64_t> last_run_id;
  double updated_at = 0;
  std::optional<double> converged_at;
  int failures = 0;
  std::optional<double> retry_at;
};

struct DriftEvent {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string host;
  std::string commit;
  double detected_at = 0;
  int changes = 0;
  std::string summary;
  bool repaired = false;
};

// Counts for /metrics.
struct StoreCounts {
  std::map<std::string, int64_t> runs_by_result;
  std::map<std::string, int64_t> hosts_by_status;
  int64_t drift_events = 0;
  std::optional<double> last_run_seconds;  // duration of the last finished run
};

class StateStore {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens `path`. Read-write creates it, turns on WAL and migrates the
  // schema; read-only requires an existing store at the latest version.
  // Errors: kNotFound (read-only, no store), kFailedPrecondition (newer
  // schema, unreadable file), kDataLoss (not a database).
  static Result<StateStore> open(const std::string& path, Mode mode, Clock& clock);

  // Writers.
  Result<int64_t> begin_run(const std::string& trigger, const std::string& commit, int coalesced,
                            int hosts_total);
  // Records one host's outcome for `run_id` at `commit`, updates its status
  // row, and records a drift event when `drift` (it had converged at this
  // very commit and now needed changes).
  Status record_host(int64_t run_id, const std::string& commit, const HostOutcome& outcome,
                     bool drift);
  Status finish_run(int64_t run_id, const std::string& result, const std::string& error);
  // A finished run in one step (rejected or invalid commits: no hosts).
  Result<int64_t> record_run(const std::string& trigger, const std::string& commit, int coalesced,
                             const std::string& result, const std::string& error);
  // Runs still "running" become "interrupted"; returns how many.
  Result<int> mark_interrupted_runs();
  Status set_retry(const std::string& host, int failures, std::optional<double> retry_at);
  // Adds hosts new to the repository as "pending" and deletes rows of hosts
  // no longer in it.
  Status sync_hosts(const std::vector<std::string>& hosts);
  Status set_value(const std::string& key, const std::string& value);
  Status set_values(const std::map<std::string, std::string>& values);
  // Deletes runs (and their host rows) beyond the newest `keep`.
  Status prune_runs(int keep);

  // Readers.
  Result<std::vector<HostRecord>> hosts();
  Result<std::optional<HostRecord>> host(const std::string& name);
  Result<std::vector<RunRecord>> runs(int limit, std::optional<int64_t> before_id = std::nullopt);
  Result<std::optional<RunRecord>> run(int64_t id);
  Result<std::vector<RunHostRecord>> run_hosts(int64_t id);
  Result<std::vector<DriftEvent>> drift_events(int limit);
  Result<std::map<std::string, std::string>> values();
  Result<StoreCounts> counts();

  Database& database() { return m_db; }

 private:
  StateStore(Database db, Clock& clock) : m_db(std::move(db)), m_clock(&clock) {}
  double now() const { return unix_seconds(m_clock->wall_now()); }

  Database m_db;
  Clock* m_clock;
};

}  // namespace reconcile::daemon
