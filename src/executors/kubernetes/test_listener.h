#pragma once

// For tests: an ExecutorListener that records every event and waits for
// the ones a test expects.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/executor.h"

namespace ty::executors::kubernetes::testing {

class RecordingListener : public agent::ExecutorListener {
 public:
  void OnStatus(const agent::StatusEvent& event) override {
    std::lock_guard lock(mu_);
    statuses_.push_back(event);
    changed_.notify_all();
  }

  void OnLog(const agent::LogChunk& chunk) override {
    std::lock_guard lock(mu_);
    logs_.push_back(chunk);
    changed_.notify_all();
  }

  absl::Status UploadOutput(const std::string&, const std::string&, const std::string&) override {
    return absl::OkStatus();
  }

  // Waits for a job-level event whose status is in `statuses`.
  std::optional<agent::StatusEvent> WaitForStatus(const std::string& job_id,
                                                  const std::set<std::string>& statuses,
                                                  std::chrono::seconds timeout =
                                                      std::chrono::seconds(60)) {
    std::optional<agent::StatusEvent> found;
    Wait(timeout, [&] {
      for (const agent::StatusEvent& event : statuses_) {
        if (event.job_id == job_id && !event.rank && statuses.contains(event.status)) {
          found = event;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Waits for a rank event that `match` accepts.
  std::optional<agent::StatusEvent> WaitForRank(
      const std::string& job_id, const std::function<bool(const agent::StatusEvent&)>& match,
      std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::optional<agent::StatusEvent> found;
    Wait(timeout, [&] {
      for (const agent::StatusEvent& event : statuses_) {
        if (event.job_id == job_id && event.rank && match(event)) {
          found = event;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Job-level statuses of `job_id`, in order.
  std::vector<std::string> JobStatuses(const std::string& job_id) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const agent::StatusEvent& event : statuses_) {
      if (event.job_id == job_id && !event.rank) out.push_back(event.status);
    }
    return out;
  }

  std::vector<agent::StatusEvent> Events(const std::string& job_id) {
    std::lock_guard lock(mu_);
    std::vector<agent::StatusEvent> out;
    for (const agent::StatusEvent& event : statuses_) {
      if (event.job_id == job_id) out.push_back(event);
    }
    return out;
  }

  // The lines of one rank by offset; a line sent twice appears once.
  std::vector<std::string> Lines(const std::string& job_id, int rank) {
    std::lock_guard lock(mu_);
    std::vector<std::string> lines;
    for (const agent::LogChunk& chunk : logs_) {
      if (chunk.job_id != job_id || chunk.rank != rank) continue;
      for (size_t i = 0; i < chunk.lines.size(); ++i) {
        size_t offset = static_cast<size_t>(chunk.offset) + i;
        if (offset >= lines.size()) lines.resize(offset + 1);
        lines[offset] = chunk.lines[i].second;
      }
    }
    return lines;
  }

  std::vector<agent::LogChunk> Chunks(const std::string& job_id) {
    std::lock_guard lock(mu_);
    std::vector<agent::LogChunk> out;
    for (const agent::LogChunk& chunk : logs_) {
      if (chunk.job_id == job_id) out.push_back(chunk);
    }
    return out;
  }

  // Waits until `predicate` holds for the recorded events (mu_ held).
  bool Wait(std::chrono::seconds timeout, const std::function<bool()>& predicate) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, predicate);
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<agent::StatusEvent> statuses_;  // guarded by mu_
  std::vector<agent::LogChunk> logs_;         // guarded by mu_
};

}  // namespace ty::executors::kubernetes::testing
