#include "reconciler/daemon/sqlite.h"

namespace reconcile::daemon {

namespace {

Error sqlite_error(int code, std::string_view what, sqlite3* db) {
  std::string message =
      std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return unavailable(message);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return data_loss(message);
  return failed_precondition(message);
}

}  // namespace

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(m_statement.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_statement.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_statement.get(), index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_statement.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  int code = sqlite3_step(m_statement.get());
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return sqlite_error(code, "sqlite", sqlite3_db_handle(m_statement.get()));
}

Status Statement::run() {
  while (TRY(step())) {
  }
  return ok();
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(m_statement.get(), column);
}

double Statement::real(int column) const {
  return sqlite3_column_double(m_statement.get(), column);
}

std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(m_statement.get(), column);
  int size = sqlite3_column_bytes(m_statement.get(), column);
  return bytes == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(bytes), size);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_statement.get(), column) == SQLITE_NULL;
}

Result<Database> Database::open(const std::string& path, Mode mode) {
  int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int code = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db;
  db.m_db.reset(raw);
  if (code != SQLITE_OK) return sqlite_error(code, path, raw);
  sqlite3_busy_timeout(raw, 5000);
  TRY(db.exec("PRAGMA foreign_keys = ON"));
  return db;
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  int code = sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return sqlite_error(code, "sqlite", m_db.get());
  return ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int code =
      sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (code != SQLITE_OK) return sqlite_error(code, "sqlite prepare", m_db.get());
  return Statement(raw);
}

int64_t Database::last_insert_id() const {
  return sqlite3_last_insert_rowid(m_db.get());
}

int Database::changes() const {
  return sqlite3_changes(m_db.get());
}

Transaction::~Transaction() {
  if (m_open) (void)m_db->exec("ROLLBACK");
}

Status Transaction::begin() {
  TRY(m_db->exec("BEGIN IMMEDIATE"));
  m_open = true;
  return ok();
}

Status Transaction::commit() {
  TRY(m_db->exec("COMMIT"));
  m_open = false;
  return ok();
}

}  // namespace reconcile::daemon
