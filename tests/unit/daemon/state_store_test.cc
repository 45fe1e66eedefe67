// The state store: migrations from every older version keep the data, a
// newer store is refused, readers work beside the writer, and a run left
// "running" by a crash is marked interrupted.

#include "reconciler/daemon/state_store.h"

#include <doctest/doctest.h>

#include "reconciler/daemon/schema.h"
#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;

namespace {

HostOutcome outcome(const std::string& host, HostState state, int changes = 0) {
  HostOutcome result;
  result.host = host;
  result.state = state;
  result.changes = changes;
  result.plan_summary = std::to_string(changes) + " to create, 0 to update, 0 to remove";
  result.output = host + ": no secrets here\n";
  if (state == HostState::kFailed) result.error = "1 change(s) failed";
  return result;
}

}  // namespace

TEST_CASE("a new store is created at the latest schema version, in WAL mode") {
  TempDir dir;
  FakeClock clock;
  auto store = StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock);
  REQUIRE_MESSAGE(store.has_value(), store.error().message());
  CHECK(MUST(schema_version(store->database())) == latest_schema_version());
  auto mode = MUST(store->database().prepare("PRAGMA journal_mode"));
  REQUIRE(MUST(mode.step()));
  CHECK(mode.text(0) == "wal");
}

TEST_CASE("migrating a version 1 store keeps its runs and hosts") {
  TempDir dir;
  FakeClock clock;
  {
    auto db = MUST(Database::open(dir / "state.db", Database::Mode::kReadWrite));
    REQUIRE(migrate(db, 1).has_value());
    CHECK(MUST(schema_version(db)) == 1);
    REQUIRE(db.exec("INSERT INTO runs (trigger, commit_id, started_at, finished_at, result) "
                    "VALUES ('push', 'abc', 1.0, 2.5, 'converged')")
                .has_value());
    REQUIRE(db.exec("INSERT INTO hosts (name, status, applied_commit, updated_at) "
                    "VALUES ('web1', 'converged', 'abc', 2.5)")
                .has_value());
    REQUIRE(db.exec("INSERT INTO drift_events (run_id, host, commit_id, detected_at, changes, "
                    "summary) VALUES (1, 'web1', 'abc', 2.0, 1, 'x')")
                .has_value());
  }
  auto store = StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock);
  REQUIRE_MESSAGE(store.has_value(), store.error().message());
  CHECK(MUST(schema_version(store->database())) == 2);
  auto runs = MUST(store->runs(10));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].trigger == "push");
  CHECK(runs[0].coalesced == 1);  // the column version 2 added, with its default
  CHECK(runs[0].finished_at == 2.5);
  auto hosts = MUST(store->hosts());
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].applied_commit == "abc");
  auto drift = MUST(store->drift_events(10));
  REQUIRE(drift.size() == 1);
  CHECK_FALSE(drift[0].repaired);
  // Opening again is a no-op.
  auto again = StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock);
  REQUIRE(again.has_value());
  CHECK(MUST(again->runs(10)).size() == 1);
}

TEST_CASE("a store from a newer reconcile is refused and left alone") {
  TempDir dir;
  FakeClock clock;
  {
    auto db = MUST(Database::open(dir / "state.db", Database::Mode::kReadWrite));
    REQUIRE(migrate(db).has_value());
    REQUIRE(db.exec("PRAGMA user_version = 99").has_value());
  }
  auto store = StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock);
  REQUIRE_FALSE(store.has_value());
  CHECK(store.error().message().find("schema version 99, newer") != std::string::npos);
  auto db = MUST(Database::open(dir / "state.db", Database::Mode::kReadOnly));
  CHECK(MUST(schema_version(db)) == 99);
  auto reader = StateStore::open(dir / "state.db", StateStore::Mode::kReadOnly, clock);
  CHECK_FALSE(reader.has_value());
}

TEST_CASE("a failing migration leaves the store at the last whole version") {
  TempDir dir;
  auto db = MUST(Database::open(dir / "state.db", Database::Mode::kReadWrite));
  REQUIRE(migrate(db, 1).has_value());
  // Sabotage: version 2 adds an index of this name.
  REQUIRE(db.exec("CREATE TABLE run_hosts_by_host (x)").has_value());
  auto status = migrate(db);
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().message().find("schema migration 2") != std::string::npos);
  CHECK(MUST(schema_version(db)) == 1);
  // Version 2's first statement (a column) was rolled back too.
  CHECK_FALSE(db.exec("SELECT coalesced FROM runs").has_value());
}

TEST_CASE("runs, host status, drift events and interrupted runs") {
  TempDir dir;
  FakeClock clock;
  auto store = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  REQUIRE(store.sync_hosts({"web1", "web2"}).has_value());
  CHECK(MUST(store.hosts())[0].status == "pending");

  int64_t run = MUST(store.begin_run("startup", "c1", 1, 2));
  REQUIRE(
      store.record_host(run, "c1", outcome("web1", HostState::kConverged, 2), false).has_value());
  REQUIRE(store.record_host(run, "c1", outcome("web2", HostState::kFailed, 1), false).has_value());
  clock.advance(std::chrono::seconds(3));
  REQUIRE(store.finish_run(run, "failed", "").has_value());
  auto web1 = MUST(store.host("web1"));
  REQUIRE(web1.has_value());
  CHECK(web1->status == "converged");
  CHECK(web1->applied_commit == "c1");
  auto web2 = MUST(store.host("web2"));
  CHECK(web2->status == "failed");
  CHECK(web2->applied_commit == "");
  CHECK(web2->last_error == "1 change(s) failed");
  REQUIRE(store.set_retry("web2", 1, 1704067210.0).has_value());
  CHECK(MUST(store.host("web2"))->retry_at == 1704067210.0);

  int64_t drift_run = MUST(store.begin_run("interval", "c1", 3, 1));
  REQUIRE(store.record_host(drift_run, "c1", outcome("web1", HostState::kConverged, 1), true)
              .has_value());
  auto events = MUST(store.drift_events(10));
  REQUIRE(events.size() == 1);
  CHECK(events[0].host == "web1");
  CHECK(events[0].repaired);
  // The daemon died here: the run stays "running" until the next start.
  auto reopened = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  CHECK(MUST(reopened.mark_interrupted_runs()) == 1);
  auto interrupted = MUST(reopened.run(drift_run));
  REQUIRE(interrupted.has_value());
  CHECK(interrupted->result == "interrupted");
  CHECK(interrupted->coalesced == 3);
  auto hosts = MUST(reopened.run_hosts(drift_run));
  REQUIRE(hosts.size() == 1);  // what finished before the crash is kept
  CHECK(hosts[0].output == "web1: no secrets here\n");

  auto counts = MUST(reopened.counts());
  CHECK(counts.runs_by_result["failed"] == 1);
  CHECK(counts.runs_by_result["interrupted"] == 1);
  CHECK(counts.hosts_by_status["converged"] == 1);
  CHECK(counts.drift_events == 1);
  CHECK(counts.last_run_seconds == doctest::Approx(3.0));

  REQUIRE(reopened.sync_hosts({"web2", "web3"}).has_value());
  auto names = MUST(reopened.hosts());
  REQUIRE(names.size() == 2);
  CHECK(names[0].name == "web2");
  CHECK(names[1].status == "pending");
}

TEST_CASE("a read-only store reads while the writer holds the database open") {
  TempDir dir;
  FakeClock clock;
  auto writer = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  int64_t run = MUST(writer.begin_run("push", "c1", 1, 0));
  auto reader = StateStore::open(dir / "state.db", StateStore::Mode::kReadOnly, clock);
  REQUIRE_MESSAGE(reader.has_value(), reader.error().message());
  CHECK(MUST(reader->runs(5)).size() == 1);
  REQUIRE(writer.finish_run(run, "converged", "").has_value());
  CHECK(MUST(reader->run(run))->result == "converged");
  CHECK_FALSE(reader->set_value("x", "y").has_value());  // read-only really
  auto missing = StateStore::open(dir / "none.db", StateStore::Mode::kReadOnly, clock);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("old runs are pruned beyond the number to keep") {
  TempDir dir;
  FakeClock clock;
  auto store = MUST(StateStore::open(dir / "state.db", StateStore::Mode::kReadWrite, clock));
  for (int i = 0; i < 15; ++i) {
    int64_t run = MUST(store.begin_run("interval", "c1", 1, 1));
    REQUIRE(
        store.record_host(run, "c1", outcome("web1", HostState::kConverged), false).has_value());
    REQUIRE(store.finish_run(run, "converged", "").has_value());
  }
  REQUIRE(store.prune_runs(10).has_value());
  auto runs = MUST(store.runs(100));
  REQUIRE(runs.size() == 10);
  CHECK(runs.back().id == 6);
  CHECK(MUST(store.run_hosts(5)).empty());  // cascaded
  CHECK(MUST(store.run_hosts(6)).size() == 1);
}
