#pragma once

// A thin owner for SQLite connections and statements. SQLite's error codes
// become Result errors here; SQLITE_BUSY (another process holds a write
// lock longer than the busy timeout) is kUnavailable, so callers may retry.
// A connection is used by one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"

namespace reconcile::daemon {

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* statement) : m_statement(statement) {}

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);

  // Binds every argument in order, starting at parameter 1.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances: true when a row is available, false when done.
  Result<bool> step();
  // Steps until done (for statements that return no rows).
  Status run();

  int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> m_statement;
};

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (read-write: creating) the database at `path`, with a busy timeout
  // and foreign keys on. Errors: kFailedPrecondition with SQLite's reason.
  static Result<Database> open(const std::string& path, Mode mode);

  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  int64_t last_insert_id() const;
  int changes() const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> m_db;
};

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db) : m_db(&db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE: takes the write lock now, so the transaction cannot
  // fail later on a lock upgrade.
  Status begin();
  Status commit();

 private:
  Database* m_db;
  bool m_open = false;
};

}  // namespace reconcile::daemon
