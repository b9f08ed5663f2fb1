#include "agent/outbox.h"

#include <sqlite3.h>

#include <algorithm>

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

// Returns the largest sequence ever given out in the file: AUTOINCREMENT
// records it in sqlite_sequence even after its row is deleted.
int64_t LastSequence(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),"
                     "           COALESCE((SELECT MAX(sequence) FROM outbox), 0))",
                     -1, &statement, nullptr);
  int64_t last = 0;
  if (sqlite3_step(statement) == SQLITE_ROW) last = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return last;
}

}  // namespace

Outbox::Outbox(sqlite3* db, int64_t last_sequence)
    : db_(db), prefix_(NewId()), last_sequence_(last_sequence) {}

Outbox::~Outbox() {
  if (!unsaved_.empty()) {
    log::Error("outbox: {} messages held in memory are lost because the disk had no room for them",
               unsaved_.size());
  }
  sqlite3_close(db_);
}

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("open outbox '", path, "': ", message));
  }
  // NORMAL keeps commits durable across a process crash (kill -9), which is
  // the failure the outbox exists for; only a power loss can drop the tail.
  absl::Status status = Exec(db,
                             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                             "CREATE TABLE IF NOT EXISTS outbox ("
                             "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
                             "  id TEXT NOT NULL UNIQUE,"
                             "  body TEXT NOT NULL)");
  if (!status.ok()) {
    sqlite3_close(db);
    return status;
  }
  return std::unique_ptr<Outbox>(new Outbox(db, LastSequence(db)));
}

absl::Status Outbox::Insert(const Message& message) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO outbox (sequence, id, body) VALUES (?, ?, ?)", -1,
                     &statement, nullptr);
  sqlite3_bind_int64(statement, 1, message.sequence);
  sqlite3_bind_text(statement, 2, message.id.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_text(statement, 3, message.body.data(), static_cast<int>(message.body.size()),
                    SQLITE_STATIC);
  int result = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (result != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("outbox: add message: ", sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

void Outbox::SaveUnsaved() {
  size_t saved = 0;
  while (!unsaved_.empty() && Insert(unsaved_.front()).ok()) {
    unsaved_bytes_ -= unsaved_.front().body.size();
    unsaved_.pop_front();
    ++saved;
  }
  if (saved > 0 && unsaved_.empty()) {
    log::Info("outbox: the disk has room again; {} messages held in memory are stored", saved);
  }
}

absl::StatusOr<std::string> Outbox::Add(const std::string& type, std::string json_without_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Message message;
  message.id = absl::StrCat(type, "-", prefix_, "-", ++added_);
  // The id goes first in the object so the body stays a valid JSON object:
  // `json_without_id` must start with '{'.
  if (json_without_id.size() > 2) {
    absl::string_view members = absl::string_view(json_without_id).substr(1);
    message.body = absl::StrCat("{\"id\":\"", message.id, "\",", members);
  } else {
    message.body = absl::StrCat("{\"id\":\"", message.id, "\"}");
  }

  // Older messages held in memory go first, so the file keeps their order.
  SaveUnsaved();
  if (unsaved_.empty()) {
    message.sequence = last_sequence_ + 1;
    absl::Status inserted = Insert(message);
    if (inserted.ok()) {
      last_sequence_ = message.sequence;
      full_disk_logged_ = false;
      return message.id;
    }
    // Logged once per episode: while the disk stays full, acknowledgements
    // empty the memory queue again and again, and each Add comes here.
    if (!full_disk_logged_) {
      log::Error("outbox: keeping messages in memory until the disk has room, because {}",
                 inserted.message());
      full_disk_logged_ = true;
    }
  }

  if (unsaved_bytes_ + message.body.size() > kMaxUnsavedBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "outbox: the disk has no room and ", unsaved_bytes_ >> 20,
        " MiB of messages wait in memory already; free disk space in the agent's state folder"));
  }
  message.sequence = ++last_sequence_;
  unsaved_bytes_ += message.body.size();
  std::string id = message.id;
  unsaved_.push_back(std::move(message));
  return id;
}

std::vector<std::pair<int64_t, std::string>> Outbox::Pending(int64_t after_sequence, size_t limit,
                                                             size_t max_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<int64_t, std::string>> messages;
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "SELECT sequence, body FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?",
                     -1, &statement, nullptr);
  sqlite3_bind_int64(statement, 1, after_sequence);
  sqlite3_bind_int64(statement, 2, static_cast<int64_t>(limit));
  size_t bytes = 0;
  while (bytes < max_bytes && sqlite3_step(statement) == SQLITE_ROW) {
    const char* body = reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
    messages.emplace_back(sqlite3_column_int64(statement, 0),
                          std::string(body, sqlite3_column_bytes(statement, 1)));
    bytes += messages.back().second.size();
  }
  sqlite3_finalize(statement);

  // Messages held in memory come after every stored one.
  for (const Message& message : unsaved_) {
    if (messages.size() >= limit || bytes >= max_bytes) break;
    if (message.sequence <= after_sequence) continue;
    messages.emplace_back(message.sequence, message.body);
    bytes += message.body.size();
  }
  return messages;
}

void Outbox::Acknowledge(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto in_memory = std::find_if(unsaved_.begin(), unsaved_.end(),
                           [&](const Message& message) { return message.id == id; });
  if (in_memory != unsaved_.end()) {
    unsaved_bytes_ -= in_memory->body.size();
    unsaved_.erase(in_memory);
    return;
  }
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
  return count + unsaved_.size();
}

size_t Outbox::UnsavedCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  return unsaved_.size();
}

}  // namespace ty::agent
