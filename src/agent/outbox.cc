#include "agent/outbox.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/random.h"

namespace ty::agent {
namespace {

absl::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat("outbox: ", message));
  }
  return absl::OkStatus();
}

}  // namespace

Outbox::Outbox(sqlite3* db) : db_(db), prefix_(NewId()) {}

Outbox::~Outbox() { sqlite3_close(db_); }

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("open outbox '", path, "': ", message));
  }
  std::unique_ptr<Outbox> outbox(new Outbox(db));
  // NORMAL keeps commits durable across a process crash (kill -9), which is
  // the failure the outbox exists for; only a power loss can drop the tail.
  absl::Status status = Exec(db,
                             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                             "CREATE TABLE IF NOT EXISTS outbox ("
                             "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
                             "  id TEXT NOT NULL UNIQUE,"
                             "  body TEXT NOT NULL)");
  if (!status.ok()) return status;
  return outbox;
}

absl::StatusOr<std::string> Outbox::Add(const std::string& type, std::string json_without_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO outbox (id, body) VALUES (?, ?)", -1, &statement, nullptr);
  std::string id = absl::StrCat(type, "-", prefix_, "-", ++added_);
  // The id goes first in the object so the body stays a valid JSON object:
  // `json_without_id` must start with '{'.
  std::string body = json_without_id.size() > 2
                         ? absl::StrCat("{\"id\":\"", id, "\",", json_without_id.substr(1))
                         : absl::StrCat("{\"id\":\"", id, "\"}");
  sqlite3_bind_text(statement, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(statement, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
  int result = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (result != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("outbox: add message: ", sqlite3_errmsg(db_)));
  }
  return id;
}

std::vector<std::pair<int64_t, std::string>> Outbox::Pending(int64_t after_sequence, size_t limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<int64_t, std::string>> messages;
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "SELECT sequence, body FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?",
                     -1, &statement, nullptr);
  sqlite3_bind_int64(statement, 1, after_sequence);
  sqlite3_bind_int64(statement, 2, static_cast<int64_t>(limit));
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const char* body = reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
    messages.emplace_back(sqlite3_column_int64(statement, 0),
                          std::string(body, sqlite3_column_bytes(statement, 1)));
  }
  sqlite3_finalize(statement);
  return messages;
}

void Outbox::Acknowledge(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "DELETE FROM outbox WHERE id = ?", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(statement) != SQLITE_DONE) {
    log::Warning("outbox: acknowledge '{}' failed because {}", id, sqlite3_errmsg(db_));
  }
  sqlite3_finalize(statement);
}

size_t Outbox::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM outbox", -1, &statement, nullptr);
  size_t count = 0;
  if (sqlite3_step(statement) == SQLITE_ROW) count = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return count;
}

}  // namespace ty::agent
