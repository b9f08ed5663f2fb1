#pragma once

// The local executor: runs each job as process groups on the agent's host,
// one per rank, each under a shim process that outlives the agent (shim.h).
// Jobs wait in FIFO order until their CPUs, memory and GPUs are free.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/executor.h"
#include "executors/local/job_runner.h"
#include "executors/local/resource_ledger.h"

namespace ty::executors::local {

struct LocalExecutorOptions {
  // Folder with one working folder per job, created when missing.
  std::string work_root;
  // Executable started as `<shim_path> shim <rank folder>`: the trainyard
  // binary itself in production.
  std::string shim_path;
  // Time between SIGTERM and SIGKILL on cancel, timeout and gang failure.
  std::chrono::milliseconds grace_period{std::chrono::seconds(10)};
  // How often each job's thread looks at its ranks and output files.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(200)};
  // Program that lists GPUs; a missing one means the host has none.
  std::string nvidia_smi = "nvidia-smi";
  // When set, used instead of discovering the host's CPUs, memory and GPUs.
  std::optional<agent::NodeCapacity> capacity;
};

// Thread-safe. Status events, log chunks and uploads reach the listener from
// one thread per job.
class LocalExecutor : public agent::Executor {
 public:
  // Discovers the host's capacity now (unless `options.capacity` is set);
  // DiscoverCapacity() returns that snapshot.
  LocalExecutor(LocalExecutorOptions options, agent::ExecutorListener* listener);
  ~LocalExecutor() override;

  LocalExecutor(const LocalExecutor&) = delete;
  LocalExecutor& operator=(const LocalExecutor&) = delete;

  // agent::Executor

  // Errors: kInvalidArgument for bad counts or distribution;
  // kFailedPrecondition when the job can never fit on this host (the
  // resource, the request and the capacity named), when the job's folder is
  // left from an earlier agent and Recover() has not run, or after
  // Shutdown(); kInternal when the job folder cannot be written. A job that
  // fits but not now is accepted and reported "Queued" with what it waits for.
  absl::Status Launch(const agent::LaunchSpec& spec) override;
  absl::Status Cancel(const std::string& job_id, const std::string& reason) override;
  std::vector<agent::JobState> Inventory() override;
  void Forget(const std::string& job_id) override;
  absl::Status Recover() override;
  absl::StatusOr<std::vector<agent::NodeCapacity>> DiscoverCapacity() override;
  void Shutdown() override;

 private:
  JobPaths PathsFor(const std::string& job_id) const;

  // Starts queued jobs in order while the first one fits. Returns what the
  // first job still waits for, or an empty string.
  std::string ScheduleLocked();  // REQUIRES: mu_ held
  void StartRunnerLocked(JobRecord record);  // REQUIRES: mu_ held
  void OnJobFinished(const std::string& job_id);
  // Removes the job's working folder.
  void RemoveJobFolder(const std::string& job_id) const;
  // Returns the runners removed on their own threads, to destroy without mu_.
  std::vector<std::unique_ptr<JobRunner>> TakeFinishedRunnersLocked();  // REQUIRES: mu_ held

  // Constant after construction.
  const LocalExecutorOptions options_;
  agent::ExecutorListener* const listener_;
  agent::NodeCapacity capacity_;

  std::mutex mu_;
  ResourceLedger ledger_;                                      // guarded by mu_
  std::map<std::string, std::unique_ptr<JobRunner>> runners_;  // guarded by mu_
  std::deque<JobRecord> queue_;                                // guarded by mu_
  std::map<std::string, agent::JobState> ended_;  // ended without a runner; guarded by mu_
  // Jobs forgotten while their thread was still reporting the end; removed
  // when the thread finishes.
  std::set<std::string> forget_when_finished_;  // guarded by mu_
  // Runners removed from their own thread, which cannot join itself; joined
  // and destroyed by the next call from another thread.
  std::vector<std::unique_ptr<JobRunner>> finished_runners_;  // guarded by mu_
  bool shut_down_ = false;                                    // guarded by mu_
};

}  // namespace ty::executors::local
