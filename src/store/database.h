#pragma once

// A thin SQLite wrapper: one connection in WAL mode with foreign keys on, a
// busy timeout and cached prepared statements. Every read and write goes
// through a Transaction, which holds the connection's mutex while it is open,
// so the Database is thread-safe and callers never see a half-applied change.
//
// Errors map SQLite result codes to absl codes: a UNIQUE or PRIMARY KEY
// violation is kAlreadyExists, a FOREIGN KEY violation kFailedPrecondition,
// SQLITE_BUSY/LOCKED kUnavailable, everything else kInternal.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ty::store {

class Database;

// A prepared statement bound to one open Transaction. Parameters are numbered
// from 1 (`?1`, `?2`, ...); columns from 0. Binding errors are kept and
// returned by the next Step() or Run().
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, std::nullopt_t);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : Bind(index, std::nullopt);
  }

  // Binds `args` to parameters 1, 2, ... in order.
  template <typename... Args>
  Statement& BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
    return *this;
  }

  // Advances to the next row. Returns true when a row is available and false
  // when the statement is done.
  absl::StatusOr<bool> Step();

  // Steps until the statement is done, ignoring any rows.
  absl::Status Run();

  int ColumnCount() const;
  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  friend class Transaction;
  Statement(Database* database, sqlite3_stmt* statement, bool cached);

  Database* database_;
  sqlite3_stmt* statement_;
  bool cached_;  // owned by the database's cache, reset instead of finalized
  absl::Status bind_status_;
};

// An open transaction, which holds the database's mutex until it ends. It is
// rolled back on destruction unless Commit() succeeded. Use it on one thread;
// a thread must not begin a second transaction while it holds one.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  absl::StatusOr<Statement> Prepare(std::string_view sql);

  // Prepares `sql` and binds `args` to ?1, ?2, ... in order.
  template <typename... Args>
  absl::StatusOr<Statement> Query(std::string_view sql, const Args&... args) {
    absl::StatusOr<Statement> statement = Prepare(sql);
    if (statement.ok()) statement->BindAll(args...);
    return statement;
  }

  // Runs one statement with `args` to completion.
  template <typename... Args>
  absl::Status Execute(std::string_view sql, const Args&... args) {
    absl::StatusOr<Statement> statement = Query(sql, args...);
    if (!statement.ok()) return statement.status();
    return statement->Run();
  }

  // Runs several semicolon-separated statements without parameters, as
  // migrations do.
  absl::Status ExecuteScript(std::string_view sql);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  int64_t LastInsertRowId() const;

  absl::Status Commit();

 private:
  friend class Database;
  Transaction(Database* database, std::unique_lock<std::mutex> lock);

  Database* database_;
  std::unique_lock<std::mutex> lock_;
  bool open_ = true;
};

class Database {
 public:
  // Opens or creates the database at `path` (":memory:" for a private
  // in-memory one) in WAL mode with foreign keys enforced and a busy timeout
  // of `busy_timeout_ms` for other processes holding the file.
  // Errors: kUnavailable when the file cannot be opened or is not a database.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        int busy_timeout_ms = 5000);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Begins a write transaction (BEGIN IMMEDIATE), waiting for the mutex.
  // Errors: kInternal when the calling thread already holds a transaction,
  // kUnavailable when another process holds the write lock too long.
  absl::StatusOr<Transaction> Begin();

  // Begins a read transaction (BEGIN DEFERRED), with the same errors.
  absl::StatusOr<Transaction> BeginRead();

  const std::string& path() const { return path_; }

 private:
  friend class Statement;
  friend class Transaction;

  Database(std::string path, sqlite3* connection);

  absl::StatusOr<Transaction> BeginWith(std::string_view sql);
  absl::Status Exec(std::string_view sql);
  // Converts the connection's last error into a status mentioning `sql`.
  absl::Status Error(int result, std::string_view sql) const;
  void Release(sqlite3_stmt* statement);

  std::string path_;
  sqlite3* connection_;
  std::mutex mutex_;
  // The thread that holds the open transaction, to reject nested ones.
  std::atomic<std::thread::id> owner_;
  // Prepared statements by SQL text. Guarded by `mutex_`.
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::unordered_map<sqlite3_stmt*, bool> in_use_;
};

}  // namespace ty::store
