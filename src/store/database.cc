#include "store/database.h"

#include <sqlite3.h>

#include <utility>

#include <fmt/format.h>

namespace ty::store {
namespace {

absl::StatusCode CodeFor(int extended_result) {
  switch (extended_result) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::StatusCode::kFailedPrecondition;
    default:
      break;
  }
  switch (extended_result & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

// Shortens SQL for error messages, which should name the statement without
// repeating a whole migration script.
std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMaxLength = 80;
  return std::string(sql.substr(0, kMaxLength));
}

}  // namespace

// Statement

Statement::Statement(Database* database, sqlite3_stmt* statement, bool cached)
    : database_(database), statement_(statement), cached_(cached) {}

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_),
      statement_(std::exchange(other.statement_, nullptr)),
      cached_(other.cached_),
      bind_status_(std::move(other.bind_status_)) {}

Statement::~Statement() {
  if (statement_ == nullptr) return;
  if (cached_) {
    database_->Release(statement_);
  } else {
    sqlite3_finalize(statement_);
  }
}

namespace {

absl::Status BindResult(sqlite3_stmt* statement, int result, int index) {
  if (result == SQLITE_OK) return absl::OkStatus();
  return absl::InternalError(fmt::format("bind parameter {} of '{}': {}", index,
                                         Abbreviate(sqlite3_sql(statement)),
                                         sqlite3_errstr(result)));
}

}  // namespace

Statement& Statement::Bind(int index, int64_t value) {
  if (bind_status_.ok()) {
    bind_status_ = BindResult(statement_, sqlite3_bind_int64(statement_, index, value), index);
  }
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (bind_status_.ok()) {
    bind_status_ = BindResult(statement_, sqlite3_bind_double(statement_, index, value), index);
  }
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  if (bind_status_.ok()) {
    int result = sqlite3_bind_text64(statement_, index, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
    bind_status_ = BindResult(statement_, result, index);
  }
  return *this;
}

Statement& Statement::Bind(int index, std::nullopt_t) {
  if (bind_status_.ok()) {
    bind_status_ = BindResult(statement_, sqlite3_bind_null(statement_, index), index);
  }
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return database_->Error(result, sqlite3_sql(statement_));
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int Statement::ColumnCount() const { return sqlite3_column_count(statement_); }

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(statement_, column); }

double Statement::Double(int column) const { return sqlite3_column_double(statement_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::optional<int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

// Transaction

Transaction::Transaction(Database* database, std::unique_lock<std::mutex> lock)
    : database_(database), lock_(std::move(lock)) {}

Transaction::Transaction(Transaction&& other) noexcept
    : database_(other.database_),
      lock_(std::move(other.lock_)),
      open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  if (!lock_.owns_lock()) return;
  if (open_) {
    // A failed rollback leaves nothing to do: SQLite rolls back an open
    // transaction itself when the next BEGIN fails or the connection closes.
    database_->Exec("ROLLBACK").IgnoreError();
  }
  database_->owner_ = std::thread::id();
}

absl::StatusOr<Statement> Transaction::Prepare(std::string_view sql) {
  std::string key(sql);
  auto cached = database_->cache_.find(key);
  if (cached != database_->cache_.end() && !database_->in_use_[cached->second]) {
    database_->in_use_[cached->second] = true;
    return Statement(database_, cached->second, /*cached=*/true);
  }

  sqlite3_stmt* statement = nullptr;
  int result = sqlite3_prepare_v3(database_->connection_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (result != SQLITE_OK) return database_->Error(result, sql);

  // A statement already in use (a query nested in its own loop) gets a
  // private copy that is finalized after use.
  if (cached != database_->cache_.end()) return Statement(database_, statement, /*cached=*/false);
  database_->cache_.emplace(std::move(key), statement);
  database_->in_use_[statement] = true;
  return Statement(database_, statement, /*cached=*/true);
}

absl::Status Transaction::ExecuteScript(std::string_view sql) {
  return database_->Exec(sql);
}

int64_t Transaction::Changes() const { return sqlite3_changes64(database_->connection_); }

int64_t Transaction::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(database_->connection_);
}

absl::Status Transaction::Commit() {
  if (!open_) return absl::FailedPreconditionError("transaction is no longer open");
  absl::Status status = database_->Exec("COMMIT");
  if (status.ok()) open_ = false;
  return status;
}

// Database

Database::Database(std::string path, sqlite3* connection)
    : path_(std::move(path)), connection_(connection) {}

Database::~Database() {
  for (auto& [sql, statement] : cache_) sqlite3_finalize(statement);
  sqlite3_close_v2(connection_);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         int busy_timeout_ms) {
  sqlite3* connection = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  int result = sqlite3_open_v2(path.c_str(), &connection, flags, nullptr);
  if (result != SQLITE_OK) {
    std::string message = connection ? sqlite3_errmsg(connection) : sqlite3_errstr(result);
    sqlite3_close_v2(connection);
    return absl::UnavailableError(fmt::format("open database '{}': {}", path, message));
  }
  sqlite3_extended_result_codes(connection, 1);
  sqlite3_busy_timeout(connection, busy_timeout_ms);

  auto database = std::unique_ptr<Database>(new Database(path, connection));
  // WAL lets readers in other processes (backups, sqlite3 shells) run during
  // writes; NORMAL synchronous is durable across process crashes in WAL mode.
  for (std::string_view pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    absl::Status status = database->Exec(pragma);
    if (!status.ok()) {
      return absl::UnavailableError(
          fmt::format("open database '{}': {}", path, std::string(status.message())));
    }
  }
  return database;
}

absl::StatusOr<Transaction> Database::Begin() { return BeginWith("BEGIN IMMEDIATE"); }

absl::StatusOr<Transaction> Database::BeginRead() { return BeginWith("BEGIN DEFERRED"); }

absl::StatusOr<Transaction> Database::BeginWith(std::string_view sql) {
  if (owner_.load() == std::this_thread::get_id()) {
    return absl::InternalError("a transaction is already open on this thread");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  absl::Status status = Exec(sql);
  if (!status.ok()) return status;
  owner_ = std::this_thread::get_id();
  return Transaction(this, std::move(lock));
}

absl::Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int result = sqlite3_exec(connection_, text.c_str(), nullptr, nullptr, &message);
  if (result == SQLITE_OK) return absl::OkStatus();
  std::string detail = message ? message : sqlite3_errstr(result);
  sqlite3_free(message);
  return absl::Status(CodeFor(sqlite3_extended_errcode(connection_)),
                      fmt::format("sqlite: {} in '{}'", detail, Abbreviate(sql)));
}

absl::Status Database::Error(int result, std::string_view sql) const {
  int extended = sqlite3_extended_errcode(connection_);
  return absl::Status(CodeFor(extended), fmt::format("sqlite: {} in '{}'",
                                                     sqlite3_errmsg(connection_), Abbreviate(sql)));
}

void Database::Release(sqlite3_stmt* statement) {
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  in_use_[statement] = false;
}

}  // namespace ty::store
