#pragma once

// Change notification between the threads of one server process. A writer
// calls Notify(topic) after committing a change; a reader remembers the
// version it has seen and blocks in WaitFor until the topic moves past it.
// Long polls (job logs), the scheduler (new jobs) and the relay (desired
// state of a cluster) wait this way instead of polling the store.
//
// Versions come from one process-wide counter. An idle topic may be
// forgotten and then reads as version 0, which wakes a waiter holding an
// older version once; waiters re-read the store after every wake-up anyway.
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ty::store {

// Topic names used across the server.
inline constexpr std::string_view kQueuedJobsTopic = "jobs/queued";
std::string JobTopic(std::string_view job_id);          // status and log lines of one job
std::string ClusterTopic(std::string_view cluster_id);  // desired state of one cluster

class Notifier {
 public:
  // Marks `topic` as changed and wakes its waiters.
  void Notify(std::string_view topic);

  // The topic's current version; 0 for a topic never notified.
  uint64_t Version(std::string_view topic) const;

  // Blocks until the topic's version differs from `seen_version`, the
  // timeout passes or Shutdown() is called. Returns the topic's version.
  uint64_t WaitFor(std::string_view topic, uint64_t seen_version,
                   std::chrono::milliseconds timeout);

  // Wakes every waiter and makes later waits return at once; called when
  // the server stops so long polls end promptly.
  void Shutdown();

  bool shut_down() const;

 private:
  struct Topic {
    uint64_t version = 0;
    int waiters = 0;
  };

  // Forgets topics nobody waits on once there are many, so per-job topics do
  // not accumulate. REQUIRES: `mutex_` held.
  void PruneLocked();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Topic, std::less<>> topics_;  // guarded by mutex_
  uint64_t last_version_ = 0;                          // guarded by mutex_
  bool shut_down_ = false;                             // guarded by mutex_
};

}  // namespace ty::store
