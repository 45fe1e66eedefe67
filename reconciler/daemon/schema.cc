#include "reconciler/daemon/schema.h"

namespace reconcile::daemon {

namespace {

// Version 1: runs, per-host status and results, drift events, daemon state.
// Times are unix seconds (REAL, millisecond precision).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  trigger TEXT NOT NULL,
  commit_id TEXT NOT NULL DEFAULT '',
  started_at REAL NOT NULL,
  finished_at REAL,
  result TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  hosts_total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE run_hosts (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  changes INTEGER NOT NULL DEFAULT 0,
  applied INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  plan_summary TEXT NOT NULL DEFAULT '',
  output TEXT NOT NULL DEFAULT '',
  seconds REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, host)
);
CREATE TABLE hosts (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  applied_commit TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  last_run_id INTEGER,
  updated_at REAL NOT NULL,
  converged_at REAL,
  failures INTEGER NOT NULL DEFAULT 0,
  retry_at REAL
);
CREATE TABLE drift_events (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  host TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  detected_at REAL NOT NULL,
  changes INTEGER NOT NULL,
  summary TEXT NOT NULL
);
CREATE TABLE daemon (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// Version 2: how many triggers each run answered, whether a drift was
// repaired, and indexes for the per-host queries of the API.
constexpr const char* kVersion2 = R"sql(
ALTER TABLE runs ADD COLUMN coalesced INTEGER NOT NULL DEFAULT 1;
ALTER TABLE drift_events ADD COLUMN repaired INTEGER NOT NULL DEFAULT 0;
CREATE INDEX run_hosts_by_host ON run_hosts(host, run_id);
CREATE INDEX drift_events_by_host ON drift_events(host, id);
CREATE INDEX runs_by_result ON runs(result);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "runs, hosts, run results, drift events, daemon state", kVersion1},
      {2, "coalesced trigger count, drift repair flag, indexes", kVersion2},
  };
  return list;
}

int latest_schema_version() {
  return migrations().back().version;
}

Result<int> schema_version(Database& db) {
  Statement statement = TRY(db.prepare("PRAGMA user_version"));
  if (!TRY(statement.step())) return internal_error("PRAGMA user_version returned no row");
  return static_cast<int>(statement.integer(0));
}

Status migrate(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  int current = TRY(schema_version(db));
  if (current > target) {
    return failed_precondition("the state store has schema version " + std::to_string(current) +
                               ", newer than this reconcile knows (" + std::to_string(target) +
                               "); use a newer reconcile or another --state directory");
  }
  for (const Migration& migration : migrations()) {
    if (migration.version <= current || migration.version > target) continue;
    Transaction transaction(db);
    TRY(transaction.begin());
    // Re-read inside the write lock: another process may have migrated.
    if (TRY(schema_version(db)) >= migration.version) continue;
    TRY_CONTEXT("schema migration " + std::to_string(migration.version), db.exec(migration.sql));
    TRY(db.exec("PRAGMA user_version = " + std::to_string(migration.version)));
    TRY(transaction.commit());
  }
  return ok();
}

}  // namespace reconcile::daemon
