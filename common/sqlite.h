#pragma once
// A small RAII wrapper over SQLite3 for the daemon's state (DESIGN.md §4: WAL, synchronous
// writes). Errors name the database file and the statement: "state.db: prepare \"SELECT
// x\": no such column: x". SQLite opens its files O_CLOEXEC itself.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace skiff::common {

/// A prepared statement. Binding errors are remembered and returned by the next step() or
/// run(), so a chain of bind() calls needs no checks in between.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// Binds parameter `index` (1-based, as in SQLite).
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);
  /// Binds `values` to parameters 1, 2, ... in order.
  template <class... Ts>
  Statement& bind_all(const Ts&... values) {
    int index = 0;
    (bind_one(++index, values), ...);
    return *this;
  }

  /// One step: true when a row is ready to be read with column_*(), false when done.
  Result<bool> step();
  /// Steps until done (INSERT, UPDATE, DELETE, DDL); a row is not an error.
  Status run();
  /// Makes the statement ready to run again, with its bindings cleared.
  void reset();

  int64_t column_int64(int column) const;
  std::string column_text(int column) const;
  bool column_is_null(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::string db_name);
  void bind_one(int index, int64_t value) { bind(index, value); }
  void bind_one(int index, int value) { bind(index, static_cast<int64_t>(value)); }
  void bind_one(int index, std::string_view text) { bind(index, text); }
  void bind_one(int index, const std::string& text) { bind(index, std::string_view(text)); }
  void bind_one(int index, const char* text) { bind(index, std::string_view(text)); }
  template <class T>
  void bind_one(int index, const std::optional<T>& value) {
    if (value) {
      bind_one(index, *value);
    } else {
      bind_null(index);
    }
  }
  void check_bind(int rc, int index);
  std::string describe() const;

  sqlite3_stmt* stmt_ = nullptr;
  std::string db_name_;
  std::optional<Error> bind_error_;
};

class Transaction;

/// One connection. Opened with journal_mode=WAL, synchronous=FULL (a committed
/// transaction survives a power loss), foreign_keys=ON and a busy timeout, so several
/// connections (the daemon's threads, a second process) wait for each other instead of
/// failing with "database is locked".
class Database {
 public:
  static constexpr int kDefaultBusyTimeoutMs = 5000;
  /// Opens (creating if needed) the database file at `path`.
  static Result<Database> open(const std::string& path, int busy_timeout_ms = kDefaultBusyTimeoutMs);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// Runs one or more statements that take no parameters.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  /// BEGIN IMMEDIATE: takes the write lock now, so a transaction that reads and then writes
  /// cannot fail halfway with SQLITE_BUSY.
  Result<Transaction> begin();
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// Rolls back on destruction unless commit() succeeded, so every early return of a
/// failing step leaves the database as it was.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  friend class Database;
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

/// One schema step of a component. A component's steps carry consecutive versions from 1.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

/// Applies, each in its own transaction together with its version bump, the steps of
/// `component` ("image", "net", ...) above the version recorded for it in the
/// schema_versions table. Each module owns its tables and its steps, so the modules that
/// share the daemon's state.db migrate independently, in any order. A database further
/// along than `steps` (a newer build's) is left alone.
Status migrate(Database& db, std::string_view component, std::span<const Migration> steps);
/// The version of `component`'s schema in `db` (0: none applied).
Result<int> schema_version(Database& db, std::string_view component);

}  // namespace skiff::common
