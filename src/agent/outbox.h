#pragma once

#include <cstdint>
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
// Thread-safe.
class Outbox {
 public:
  ~Outbox();

  // Opens or creates the queue file. kInternal when SQLite fails.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& path);

  // Appends `message` (a JSON object without an id) and returns the id
  // it was given; the message as stored carries that id in its "id" field.
  absl::StatusOr<std::string> Add(const std::string& type, std::string json_without_id);

  // Returns queued messages with sequence numbers above `after_sequence`,
  // oldest first, at most `limit`. Each entry is (sequence, serialized JSON).
  std::vector<std::pair<int64_t, std::string>> Pending(int64_t after_sequence, size_t limit);

  // Removes the message with `id`. Unknown ids are ignored, so a repeated
  // acknowledgement is harmless.
  void Acknowledge(const std::string& id);

  size_t Size();

 private:
  explicit Outbox(sqlite3* db);

  std::mutex mutex_;
  sqlite3* db_;  // guarded by mutex_
  std::string prefix_;  // random per process so ids never repeat across restarts
  int64_t added_ = 0;   // guarded by mutex_
};

}  // namespace ty::agent
