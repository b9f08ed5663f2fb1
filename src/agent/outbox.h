#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct sqlite3;

namespace ty::agent {

// The agent's durable queue of relay messages that the server has not yet
// acknowledged, kept in a small SQLite file of its own (never the server's
// store). A message is added before the event it describes is considered
// reported, so kill -9 of the agent loses no status and no log line.
//
// When the file cannot take a message (a full disk, usually filled by a
// job), the message is kept in memory instead, behind every stored one, and
// written to the file by a later Add once there is room again. It is sent
// either way, but a crash before it is stored or acknowledged loses it.
// Thread-safe.
class Outbox {
 public:
  // Messages held in memory are capped at this many bytes in all.
  static constexpr size_t kMaxUnsavedBytes = 64 << 20;

  ~Outbox();

  // Opens or creates the queue file. kInternal when SQLite fails.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& path);

  // Appends `message` (a JSON object without an id) and returns the id
  // it was given; the message as stored carries that id in its "id" field.
  // kResourceExhausted when the file cannot take it and the messages held
  // in memory already reach kMaxUnsavedBytes: the message is dropped.
  absl::StatusOr<std::string> Add(const std::string& type, std::string json_without_id);

  // Returns queued messages with sequence numbers above `after_sequence`,
  // oldest first: at most `limit` of them, and no more after their bodies
  // reach `max_bytes` (the first is returned whatever its size). Each entry
  // is (sequence, serialized JSON).
  std::vector<std::pair<int64_t, std::string>> Pending(int64_t after_sequence, size_t limit,
                                                       size_t max_bytes = SIZE_MAX);

  // Removes the message with `id`. Unknown ids are ignored, so a repeated
  // acknowledgement is harmless.
  void Acknowledge(const std::string& id);

  size_t Size();

  // The number of messages held in memory because the file could not take
  // them.
  size_t UnsavedCount();

 private:
  struct Message {
    int64_t sequence = 0;
    std::string id;
    std::string body;
  };

  explicit Outbox(sqlite3* db, int64_t last_sequence);

  // The methods below need mutex_.
  absl::Status Insert(const Message& message);
  // Moves messages held in memory into the file, oldest first; stops at the
  // first that does not fit.
  void SaveUnsaved();

  std::mutex mutex_;
  sqlite3* db_;  // guarded by mutex_
  std::string prefix_;  // random per process so ids never repeat across restarts
  int64_t added_ = 0;   // guarded by mutex_
  // The largest sequence given out; sequences are never reused, so a
  // writer that sent up to N never skips a newer message.
  int64_t last_sequence_;  // guarded by mutex_
  // Messages the file could not take, oldest first. Each has a larger
  // sequence than every stored message.
  std::deque<Message> unsaved_;  // guarded by mutex_
  size_t unsaved_bytes_ = 0;     // guarded by mutex_
  bool full_disk_logged_ = false;  // guarded by mutex_
};

}  // namespace ty::agent
