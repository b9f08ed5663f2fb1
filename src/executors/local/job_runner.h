#pragma once

// Runs one job on this host in a thread of its own: prepares its folder,
// starts one shim per rank, forwards their output, enforces cancel, timeout
// and gang failure, uploads the outputs and reports every transition to the
// listener. The same class re-attaches to a job left by an earlier agent.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/executor.h"
#include "executors/local/folder_watcher.h"
#include "executors/local/job_layout.h"
#include "executors/local/job_outcome.h"
#include "executors/local/job_state.h"
#include "executors/local/log_tailer.h"
#include "executors/local/rank_env.h"
#include "executors/local/shim_protocol.h"

namespace ty::executors::local {

struct JobRunnerOptions {
  std::string shim_path;
  // This host's name; a rank's node is reported as "<host_name>/<instance>".
  std::string host_name;
  std::chrono::milliseconds grace_period{10000};
  std::chrono::milliseconds poll_interval{200};
  bool host_has_gpus = false;
  PortPicker pick_ports = PickFreePorts;
};

// Thread-safe: Cancel, StopWatching, State and Finished may be called from
// any thread while the job's own thread runs.
class JobRunner {
 public:
  // Called on the job's thread once the terminal status has been reported.
  using FinishedCallback = std::function<void(const std::string& job_id)>;

  // `record.status` is the job's last reported status: "Queued" or
  // "Preparing" starts it from the beginning, "Starting" and "Running" re-attach to its
  // ranks, "Finalizing" only uploads and reports the recorded outcome.
  JobRunner(JobRunnerOptions options, agent::ExecutorListener& listener, JobPaths paths,
            JobRecord record, FinishedCallback on_finished);

  // Stops watching and joins; the job's processes keep running.
  ~JobRunner();

  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts the job's thread.
  void Start();

  // Asks the job to stop; it ends as "Canceled" unless it has already
  // ended or failed. Repeated calls keep the first reason.
  void Cancel(const std::string& reason);

  // Makes the thread return without touching the processes, then joins it.
  void StopWatching();

  agent::JobState State() const;
  // Returns true once the terminal status is reported and the resources are
  // released.
  bool Finished() const;
  // Returns true when called from the job's own thread, as from a listener
  // callback.
  bool OnOwnThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Rank {
    RankPlan plan;
    std::string dir;
    pid_t shim_pid = 0;
    pid_t child_pgid = 0;
    bool ended = false;
    bool reported = false;  // its end went to the listener
    bool lost = false;
    // When a re-attached rank with no known shim was first seen; see
    // CheckRanks.
    int64_t unknown_since_ms = 0;
    ShimStatus status;
    std::unique_ptr<RankLogTailer> tailer;
  };

  void Run();
  bool Prepare();
  void StartRanks();
  void AttachRanks();
  bool Supervise();
  void CheckRanks();
  void HandleRankEnd(size_t index);
  void CheckCancelAndTimeout();
  void BeginStop(StopKind kind, const std::string& reason, const std::string& rank_reason);
  void EnforceGracePeriod();
  void DecideOutcome();
  void Finalize();
  void FinishEarly(const std::string& status, const std::string& message);

  // Reports a job-level transition, then records it in state.json.
  void Report(const std::string& status, const std::string& message = "",
              std::optional<int> exit_code = std::nullopt,
              std::optional<int> signal = std::nullopt);
  void ReportRank(size_t index, const RankOutcome& outcome);
  void Persist();
  JobRecord Snapshot() const;
  bool CancelRequested(std::string* reason) const;

  // Constant after construction.
  const JobRunnerOptions options_;
  agent::ExecutorListener& listener_;
  const JobPaths paths_;
  const FinishedCallback on_finished_;
  const std::string job_id_;

  // Used by the job's thread only.
  std::vector<Rank> ranks_;
  std::thread thread_;

  FolderWatcher watcher_;  // thread-safe Wake(); the rest on the job's thread

  mutable std::mutex mu_;
  JobRecord record_;  // guarded by mu_
  bool cancel_requested_ = false;  // guarded by mu_
  std::string cancel_reason_;      // guarded by mu_
  bool stop_watching_ = false;     // guarded by mu_
  bool finished_ = false;          // guarded by mu_
};

}  // namespace ty::executors::local
