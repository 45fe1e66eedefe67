#include "reconciler/daemon/state_store.h"

#include <filesystem>
#include <set>

#include "reconciler/daemon/schema.h"

namespace reconcile::daemon {

namespace {

std::optional<double> optional_real(const Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.real(column);
}

constexpr const char* kRunColumns =
    "id, trigger, commit_id, started_at, finished_at, result, error, hosts_total, coalesced";

RunRecord run_from_row(const Statement& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.trigger = row.text(1);
  run.commit = row.text(2);
  run.started_at = row.real(3);
  run.finished_at = optional_real(row, 4);
  run.result = row.text(5);
  run.error = row.text(6);
  run.hosts_total = static_cast<int>(row.integer(7));
  run.coalesced = static_cast<int>(row.integer(8));
  return run;
}

constexpr const char* kHostColumns =
    "name, status, applied_commit, last_error, last_run_id, updated_at, converged_at, failures, "
    "retry_at";

HostRecord host_from_row(const Statement& row) {
  HostRecord host;
  host.name = row.text(0);
  host.status = row.text(1);
  host.applied_commit = row.text(2);
  host.last_error = row.text(3);
  if (!row.is_null(4)) host.last_run_id = row.integer(4);
  host.updated_at = row.real(5);
  host.converged_at = optional_real(row, 6);
  host.failures = static_cast<int>(row.integer(7));
  host.retry_at = optional_real(row, 8);
  return host;
}

}  // namespace

Result<StateStore> StateStore::open(const std::string& path, Mode mode, Clock& clock) {
  std::error_code ec;
  if (mode == Mode::kReadOnly && !std::filesystem::exists(path, ec)) {
    return not_found(path + ": no state store (has `reconcile watch` run with this --state?)");
  }
  Database db =
      TRY_CONTEXT(path, Database::open(path, mode == Mode::kReadOnly ? Database::Mode::kReadOnly
                                                                     : Database::Mode::kReadWrite));
  if (mode == Mode::kReadWrite) {
    // WAL lets readers (status, the API) run while the daemon writes;
    // synchronous=NORMAL is durable across process crashes in WAL mode.
    TRY_CONTEXT(path, db.exec("PRAGMA journal_mode = WAL"));
    TRY_CONTEXT(path, db.exec("PRAGMA synchronous = NORMAL"));
    TRY_CONTEXT(path, migrate(db));
  } else {
    int version = TRY_CONTEXT(path, schema_version(db));
    if (version != latest_schema_version()) {
      return failed_precondition(path + ": state store schema version " + std::to_string(version) +
                                 ", this reconcile reads version " +
                                 std::to_string(latest_schema_version()) +
                                 " (start `reconcile watch` once to migrate it)");
    }
  }
  return StateStore(std::move(db), clock);
}

Result<int64_t> StateStore::begin_run(const std::string& trigger, const std::string& commit,
                                      int coalesced, int hosts_total) {
  Statement insert = TRY(m_db.prepare(
      "INSERT INTO runs (trigger, commit_id, started_at, result, hosts_total, coalesced) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  TRY(insert.bind_all(trigger, commit, now(), run_result::kRunning, hosts_total, coalesced).run());
  return m_db.last_insert_id();
}

Status StateStore::record_host(int64_t run_id, const std::string& commit,
                               const HostOutcome& outcome, bool drift) {
  Transaction transaction(m_db);
  TRY(transaction.begin());
  double at = now();
  Statement insert = TRY(m_db.prepare(
      "INSERT OR REPLACE INTO run_hosts (run_id, host, status, error, changes, applied, failed, "
      "plan_summary, output, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert
          .bind_all(run_id, outcome.host, host_state_name(outcome.state), outcome.error,
                    outcome.changes, outcome.applied, outcome.failed, outcome.plan_summary,
                    outcome.output, outcome.seconds)
          .run());
  bool converged = outcome.state == HostState::kConverged;
  Statement upsert = TRY(m_db.prepare(
      "INSERT INTO hosts (name, status, applied_commit, last_error, last_run_id, updated_at, "
      "converged_at) VALUES (?1, ?2, CASE WHEN ?3 THEN ?4 ELSE '' END, ?5, ?6, ?7, "
      "CASE WHEN ?3 THEN ?7 END) "
      "ON CONFLICT(name) DO UPDATE SET status = ?2, "
      "applied_commit = CASE WHEN ?3 THEN ?4 ELSE applied_commit END, last_error = ?5, "
      "last_run_id = ?6, updated_at = ?7, "
      "converged_at = CASE WHEN ?3 THEN ?7 ELSE converged_at END"));
  TRY(upsert
          .bind_all(outcome.host, host_state_name(outcome.state), converged ? 1 : 0, commit,
                    outcome.error, run_id, at)
          .run());
  if (drift) {
    Statement event = TRY(m_db.prepare(
        "INSERT INTO drift_events (run_id, host, commit_id, detected_at, changes, summary, "
        "repaired) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    TRY(event
            .bind_all(run_id, outcome.host, commit, at, outcome.changes, outcome.plan_summary,
                      converged ? 1 : 0)
            .run());
  }
  return transaction.commit();
}

Status StateStore::finish_run(int64_t run_id, const std::string& result, const std::string& error) {
  Statement update =
      TRY(m_db.prepare("UPDATE runs SET finished_at = ?, result = ?, error = ? WHERE id = ?"));
  return update.bind_all(now(), result, error, run_id).run();
}

Result<int64_t> StateStore::record_run(const std::string& trigger, const std::string& commit,
                                       int coalesced, const std::string& result,
                                       const std::string& error) {
  double at = now();
  Statement insert = TRY(m_db.prepare(
      "INSERT INTO runs (trigger, commit_id, started_at, finished_at, result, error, coalesced) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  TRY(insert.bind_all(trigger, commit, at, at, result, error, coalesced).run());
  return m_db.last_insert_id();
}

Result<int> StateStore::mark_interrupted_runs() {
  Statement update = TRY(
      m_db.prepare("UPDATE runs SET result = ?, finished_at = ?, "
                   "error = 'the daemon stopped during the run (crash or kill)' WHERE result = ?"));
  TRY(update.bind_all(run_result::kInterrupted, now(), run_result::kRunning).run());
  return m_db.changes();
}

Status StateStore::set_retry(const std::string& host, int failures,
                             std::optional<double> retry_at) {
  Statement update =
      TRY(m_db.prepare("UPDATE hosts SET failures = ?, retry_at = ? WHERE name = ?"));
  update.bind(1, failures);
  if (retry_at) {
    update.bind(2, *retry_at);
  } else {
    update.bind_null(2);
  }
  update.bind(3, host);
  return update.run();
}

Status StateStore::sync_hosts(const std::vector<std::string>& names) {
  Transaction transaction(m_db);
  TRY(transaction.begin());
  std::set<std::string> wanted(names.begin(), names.end());
  std::vector<std::string> gone;
  {
    Statement select = TRY(m_db.prepare("SELECT name FROM hosts"));
    while (TRY(select.step())) {
      std::string name = select.text(0);
      if (wanted.erase(name) == 0) gone.push_back(name);
    }
  }
  for (const auto& name : gone) {
    Statement remove = TRY(m_db.prepare("DELETE FROM hosts WHERE name = ?"));
    TRY(remove.bind_all(name).run());
  }
  for (const auto& name : wanted) {
    Statement insert =
        TRY(m_db.prepare("INSERT INTO hosts (name, status, updated_at) VALUES (?, ?, ?)"));
    TRY(insert.bind_all(name, host_state_name(HostState::kPending), now()).run());
  }
  return transaction.commit();
}

Status StateStore::set_value(const std::string& key, const std::string& value) {
  return set_values({{key, value}});
}

Status StateStore::set_values(const std::map<std::string, std::string>& values) {
  Transaction transaction(m_db);
  TRY(transaction.begin());
  for (const auto& [key, value] : values) {
    Statement upsert =
        TRY(m_db.prepare("INSERT INTO daemon (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT(key) DO UPDATE SET value = ?2"));
    TRY(upsert.bind_all(key, value).run());
  }
  return transaction.commit();
}

Status StateStore::prune_runs(int keep) {
  Statement remove = TRY(m_db.prepare(
      "DELETE FROM runs WHERE id <= (SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?)"));
  TRY(remove.bind_all(keep).run());
  Statement drift =
      TRY(m_db.prepare("DELETE FROM drift_events WHERE id <= "
                       "(SELECT id FROM drift_events ORDER BY id DESC LIMIT 1 OFFSET ?)"));
  return drift.bind_all(keep * 10).run();
}

Result<std::vector<HostRecord>> StateStore::hosts() {
  Statement select =
      TRY(m_db.prepare(std::string("SELECT ") + kHostColumns + " FROM hosts ORDER BY name"));
  std::vector<HostRecord> hosts;
  while (TRY(select.step()))
    hosts.push_back(host_from_row(select));
  return hosts;
}

Result<std::optional<HostRecord>> StateStore::host(const std::string& name) {
  Statement select =
      TRY(m_db.prepare(std::string("SELECT ") + kHostColumns + " FROM hosts WHERE name = ?"));
  select.bind_all(name);
  if (!TRY(select.step())) return std::optional<HostRecord>();
  return std::optional<HostRecord>(host_from_row(select));
}

Result<std::vector<RunRecord>> StateStore::runs(int limit, std::optional<int64_t> before_id) {
  Statement select = TRY(m_db.prepare(std::string("SELECT ") + kRunColumns +
                                      " FROM runs WHERE id < ? ORDER BY id DESC LIMIT ?"));
  select.bind_all(before_id.value_or(INT64_MAX), limit);
  std::vector<RunRecord> runs;
  while (TRY(select.step()))
    runs.push_back(run_from_row(select));
  return runs;
}

Result<std::optional<RunRecord>> StateStore::run(int64_t id) {
  Statement select =
      TRY(m_db.prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?"));
  select.bind_all(id);
  if (!TRY(select.step())) return std::optional<RunRecord>();
  return std::optional<RunRecord>(run_from_row(select));
}

Result<std::vector<RunHostRecord>> StateStore::run_hosts(int64_t id) {
  Statement select = TRY(m_db.prepare(
      "SELECT host, status, error, changes, applied, failed, plan_summary, output, seconds "
      "FROM run_hosts WHERE run_id = ? ORDER BY host"));
  select.bind_all(id);
  std::vector<RunHostRecord> hosts;
  while (TRY(select.step())) {
    RunHostRecord host;
    host.host = select.text(0);
    host.status = select.text(1);
    host.error = select.text(2);
    host.changes = static_cast<int>(select.integer(3));
    host.applied = static_cast<int>(select.integer(4));
    host.failed = static_cast<int>(select.integer(5));
    host.plan_summary = select.text(6);
    host.output = select.text(7);
    host.seconds = select.real(8);
    hosts.push_back(std::move(host));
  }
  return hosts;
}

Result<std::vector<DriftEvent>> StateStore::drift_events(int limit) {
  Statement select = TRY(
      m_db.prepare("SELECT id, run_id, host, commit_id, detected_at, changes, summary, repaired "
                   "FROM drift_events ORDER BY id DESC LIMIT ?"));
  select.bind_all(limit);
  std::vector<DriftEvent> events;
  while (TRY(select.step())) {
    DriftEvent event;
    event.id = select.integer(0);
    event.run_id = select.integer(1);
    event.host = select.text(2);
    event.commit = select.text(3);
    event.detected_at = select.real(4);
    event.changes = static_cast<int>(select.integer(5));
    event.summary = select.text(6);
    event.repaired = select.integer(7) != 0;
    events.push_back(std::move(event));
  }
  return events;
}

Result<std::map<std::string, std::string>> StateStore::values() {
  Statement select = TRY(m_db.prepare("SELECT key, value FROM daemon"));
  std::map<std::string, std::string> values;
  while (TRY(select.step()))
    values[select.text(0)] = select.text(1);
  return values;
}

Result<StoreCounts> StateStore::counts() {
  StoreCounts counts;
  Statement runs = TRY(m_db.prepare("SELECT result, COUNT(*) FROM runs GROUP BY result"));
  while (TRY(runs.step()))
    counts.runs_by_result[runs.text(0)] = runs.integer(1);
  Statement hosts = TRY(m_db.prepare("SELECT status, COUNT(*) FROM hosts GROUP BY status"));
  while (TRY(hosts.step()))
    counts.hosts_by_status[hosts.text(0)] = hosts.integer(1);
  Statement drift = TRY(m_db.prepare("SELECT COUNT(*) FROM drift_events"));
  if (TRY(drift.step())) counts.drift_events = drift.integer(0);
  Statement last = TRY(m_db.prepare(
      "SELECT finished_at - started_at FROM runs WHERE finished_at IS NOT NULL AND hosts_total > 0 "
      "AND result NOT IN ('interrupted', 'stopped') ORDER BY id DESC LIMIT 1"));
  if (TRY(last.step())) counts.last_run_seconds = last.real(0);
  return counts;
}

}  // namespace reconcile::daemon
