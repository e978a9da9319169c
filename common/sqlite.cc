#include "common/sqlite.h"

#include <sqlite3.h>

#include <cerrno>
#include <utility>

namespace skiff::common {
namespace {

// The errno closest to an SQLite result, so callers can tell "busy" or "disk full" apart
// without knowing SQLite's codes.
int errno_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return EBUSY;
    case SQLITE_FULL:
      return ENOSPC;
    case SQLITE_IOERR:
      return EIO;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return EACCES;
    case SQLITE_CONSTRAINT:
      return EEXIST;
    case SQLITE_NOMEM:
      return ENOMEM;
    default:
      return 0;
  }
}

Error sqlite_error(sqlite3* db, int rc, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error(std::move(message), errno_for(rc));
}

// Statements in errors, shortened: migrations are long.
std::string quote_sql(std::string_view sql) {
  constexpr size_t kMaxShown = 80;
  std::string shown(sql.substr(0, kMaxShown));
  for (char& c : shown) {
    if (c == '\n') c = ' ';
  }
  return "\"" + shown + (sql.size() > kMaxShown ? "...\"" : "\"");
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt, std::string db_name) : stmt_(stmt), db_name_(std::move(db_name)) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_name_(std::move(other.db_name_)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_name_ = std::move(other.db_name_);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

std::string Statement::describe() const {
  return db_name_ + ": " + quote_sql(sqlite3_sql(stmt_));
}

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK && !bind_error_) {
    bind_error_ =
        sqlite_error(sqlite3_db_handle(stmt_), rc, describe() + ": bind parameter " + std::to_string(index));
  }
}

Statement& Statement::bind(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the text, so a temporary string may be bound.
  check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_) return *bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(sqlite3_db_handle(stmt_), rc, describe());
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::move(row).error();
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.reset();
}

int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Database> Database::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  Database db(raw, path);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) return sqlite_error(raw, rc, "open database " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  {
    // journal_mode answers with the mode it got: a file system without shared memory
    // support would silently stay in rollback mode.
    auto mode = db.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return std::move(mode).error();
    auto row = mode->step();
    if (!row) return std::move(row).error();
    if (!*row || mode->column_text(0) != "wal") {
      return Error("open database " + path + ": cannot enable WAL journal mode", EINVAL);
    }
  }
  if (auto st = db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !st)
    return std::move(st).error();
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() {
  // close_v2 defers the close until every statement is finalized, so a Statement that
  // outlives its Database is still safe to destroy.
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string context = path_ + ": " + quote_sql(sql);
  Error e(context + ": " + (message ? message : sqlite3_errstr(rc)), errno_for(rc));
  sqlite3_free(message);
  return e;
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_, rc, path_ + ": prepare " + quote_sql(sql));
  }
  return Statement(stmt, path_);
}

Result<Transaction> Database::begin() {
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return std::move(st).error();
  return Transaction(this);
}

int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // A failed rollback (the connection is gone) leaves nothing to do: SQLite rolls back an
  // open transaction when the connection closes.
  if (db_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!db_) return Error("commit: transaction already finished", EINVAL);
  if (auto st = db_->exec("COMMIT"); !st) return st;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

namespace {

constexpr std::string_view kSchemaVersionsTable =
    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";

}  // namespace

Result<int> schema_version(Database& db, std::string_view component) {
  if (auto st = db.exec(kSchemaVersionsTable); !st) return std::move(st).error();
  auto stmt = db.prepare("SELECT version FROM schema_versions WHERE component = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(1, component);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  return *row ? static_cast<int>(stmt->column_int64(0)) : 0;
}

Status migrate(Database& db, std::string_view component, std::span<const Migration> steps) {
  int expected = 1;
  for (const Migration& step : steps) {
    if (step.version != expected++) {
      return Error(db.path() + ": migration \"" + std::string(step.description) + "\": version " +
                       std::to_string(step.version) + " out of sequence",
                   EINVAL);
    }
  }
  for (const Migration& step : steps) {
    auto tx = db.begin();
    if (!tx) return std::move(tx).error();
    // Read inside the write transaction: another process may have migrated meanwhile.
    auto current = schema_version(db, component);
    if (!current) return std::move(current).error();
    if (*current >= step.version) continue;
    std::string context = std::string(component) + " migration " + std::to_string(step.version) + " (" +
                          std::string(step.description) + ")";
    if (auto st = db.exec(step.sql); !st) return std::move(st).error().context(context);
    auto bump = db.prepare(
        "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version");
    if (!bump) return std::move(bump).error().context(context);
    bump->bind(1, component);
    bump->bind(2, static_cast<int64_t>(step.version));
    if (auto st = bump->run(); !st) return std::move(st).error().context(context);
    if (auto st = tx->commit(); !st) return std::move(st).error().context(context);
  }
  return {};
}

}  // namespace skiff::common
