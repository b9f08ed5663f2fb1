#pragma once

// Test helpers for the local executor: a listener that records everything,
// and a fixture with a temporary work root that kills every process group
// its jobs leave.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/executor.h"
#include "executors/local/local_executor.h"

namespace ty::executors::local {

// Returns true when group `pgid` has no process left but zombies: a process
// orphaned to an init that does not reap stays a zombie, and kill(-pgid, 0)
// still finds it.
bool GroupGone(pid_t pgid);

// Polls GroupGone until it returns true or `timeout` passes. It is for a
// group sent SIGKILL just now, whose processes the kernel ends asynchronously.
bool WaitForGroupGone(pid_t pgid, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Records status events, log lines and uploads. Thread-safe.
class RecordingListener : public agent::ExecutorListener {
 public:
  void OnStatus(const agent::StatusEvent& event) override;
  void OnLog(const agent::LogChunk& chunk) override;
  absl::Status UploadOutput(const std::string& job_id, const std::string& name,
                            const std::string& folder) override;

  // Waits for a job-level status in `statuses` of `job_id` and returns the
  // event, or std::nullopt when none arrives within `limit`. The limit is a
  // safety net against a hung test, not a timing check.
  std::optional<agent::StatusEvent> WaitForStatus(
      const std::string& job_id, const std::vector<std::string>& statuses,
      std::optional<int> rank = std::nullopt,
      std::chrono::seconds limit = std::chrono::seconds(120));
  std::optional<agent::StatusEvent> WaitForEnd(const std::string& job_id);

  // Waits until `job_id` rank `rank` has logged a line equal to `line`.
  bool WaitForLine(const std::string& job_id, int rank, const std::string& line,
                   std::chrono::seconds limit = std::chrono::seconds(120));

  // Job-level statuses of `job_id`, in order.
  std::vector<std::string> JobStatuses(const std::string& job_id);
  // Every event of `job_id`, rank events included.
  std::vector<agent::StatusEvent> Events(const std::string& job_id);
  // Lines of one stream, each delivered line once: repeats at an offset
  // already received are dropped, as the agent does.
  std::vector<std::string> Lines(const std::string& job_id, int rank,
                                 const std::string& stream = "stdout");
  // Every line received for one stream by its offset, repeats included.
  std::map<int64_t, std::string> LinesByOffset(const std::string& job_id, int rank,
                                               const std::string& stream = "stdout");
  // "status:<S>" and "upload:<name>" entries in the order they happened.
  std::vector<std::string> Sequence(const std::string& job_id);

  // Files present in each uploaded folder when UploadOutput was called.
  std::map<std::string, std::vector<std::string>> uploaded_files();

  // Runs inside OnStatus for every event, outside the listener's lock.
  void SetStatusHook(std::function<void(const agent::StatusEvent&)> hook);

 private:
  struct StreamLines {
    int64_t next_offset = 0;
    std::vector<std::string> lines;
    std::map<int64_t, std::string> by_offset;
  };

  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<agent::StatusEvent> events_;
  std::map<std::string, std::vector<std::string>> sequence_;
  std::map<std::string, StreamLines> streams_;  // key: job/rank/stream
  std::map<std::string, std::vector<std::string>> uploaded_files_;
  std::function<void(const agent::StatusEvent&)> hook_;
};

// A work root per test, executors built on it, and clean-up of every
// process the test's jobs started.
class LocalExecutorTestBase : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  LocalExecutorOptions Options() const;
  std::unique_ptr<LocalExecutor> MakeExecutor(RecordingListener* listener);
  std::unique_ptr<LocalExecutor> MakeExecutor(RecordingListener* listener,
                                              const LocalExecutorOptions& options);

  // Folder of rank `rank` of `job_id`.
  std::string RankDir(const std::string& job_id, int rank) const;
  std::string CodeDir(const std::string& job_id) const;
  // The process group of the rank's command, from child.pgid.
  pid_t ChildGroup(const std::string& job_id, int rank) const;

  static agent::LaunchSpec Spec(const std::string& job_id, const std::string& command);

  std::string work_root_;
  agent::NodeCapacity capacity_;
};

}  // namespace ty::executors::local
