#pragma once

// Follows the main container's log of one pod and hands it to the listener
// as LogChunks, per rank. Pod logs do not separate stdout from stderr, so
// every line is reported as "stdout". A line's offset counts the lines of
// its rank from the start of the pod's log, so a follower started again
// after an agent restart sends the same offsets and the server drops the
// repeats.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/executor.h"
#include "kube/client.h"

namespace ty::executors::kubernetes {

struct LogSource {
  std::string job_id;
  std::string namespace_name;
  std::string pod;
  int node_rank = 0;
  int processes_per_instance = 1;  // above 1, lines carry RankPrefix()
};

// Thread-safe.
class LogFollower {
 public:
  LogFollower(kube::Client& client, LogSource source, agent::ExecutorListener& listener);
  ~LogFollower();

  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  void Start();

  // Tells the follower that the container has ended, so the end of the log
  // stream is the end of the log and not a dropped connection.
  void MarkContainerEnded();

  // True once the whole log of an ended container has been delivered, or
  // the pod is gone.
  bool Done() const { return done_; }

  // Stops following and joins the thread.
  void Stop();

  // The last `count` lines of `rank`, oldest first.
  std::vector<std::string> LastLines(int rank, size_t count) const;

 private:
  enum class StreamOutcome {
    kEnded,  // the server ended the stream
    kRetry,  // the stream could not be opened or broke
    kStop,   // stopped, or the pod is gone
  };

  void Run();
  // Reads one log stream until it ends.
  StreamOutcome FollowOnce();
  void HandleLine(const std::string& line);
  void Flush();

  kube::Client& client_;
  const LogSource source_;
  agent::ExecutorListener& listener_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> container_ended_{false};

  // Only the follower's thread.
  int64_t lines_seen_ = 0;  // lines of the pod's log delivered, all ranks
  int64_t skip_ = 0;        // lines of a reopened stream already delivered
  std::map<int, int64_t> next_offset_;                 // by rank
  std::map<int, agent::LogChunk> pending_;            // by rank

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                              // guarded by mu_
  kube::LineStream* open_stream_ = nullptr;            // guarded by mu_
  std::map<int, std::deque<std::string>> last_lines_;  // guarded by mu_
};

// Parses an RFC 3339 time with optional fraction and "Z" into milliseconds
// since the epoch; returns -1 when `text` is not one.
int64_t ParseRfc3339Millis(std::string_view text);

// Returns `text` with invalid UTF-8 sequences replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

}  // namespace ty::executors::kubernetes
