#pragma once

// The Kubernetes executor: runs each job as a batch/v1 Indexed Job with a
// headless Service in one namespace, follows it by watching the Job and its
// pods, and streams each pod's log. The cluster is the executor's journal:
// the objects' labels and annotations are enough to adopt running jobs
// after an agent restart.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"
#include "executors/kubernetes/job_view.h"
#include "executors/kubernetes/log_follower.h"
#include "executors/kubernetes/manifests.h"
#include "kube/client.h"
#include "kube/reflector.h"

namespace ty::executors::kubernetes {

struct KubernetesExecutorOptions {
  ManifestOptions manifests;  // namespace, owner label, images, selectors
  // Creates a missing namespace, noted in the job's Preparing status,
  // instead of failing the job with the namespace named.
  bool create_namespace = false;
  // How often queued jobs are checked for room and finished jobs for their
  // last log lines.
  std::chrono::milliseconds tick{500};
  // How long a finished job waits for its log followers before its final
  // status is reported anyway.
  std::chrono::seconds log_drain_timeout{30};
  // Extension namespace searched for a device plugin, for messages.
  std::string extension_namespace = "trainyard";
  int watch_timeout_seconds = 300;
};

// Thread-safe. Status events and log chunks reach the listener from the
// executor's worker thread and from one thread per followed pod.
class KubernetesExecutor : public agent::Executor {
 public:
  // Starts watching the namespace's Jobs and pods. `listener` must outlive
  // the executor.
  KubernetesExecutor(std::unique_ptr<kube::Client> client, KubernetesExecutorOptions options,
                     agent::ExecutorListener* listener);
  ~KubernetesExecutor() override;

  KubernetesExecutor(const KubernetesExecutor&) = delete;
  KubernetesExecutor& operator=(const KubernetesExecutor&) = delete;

  // agent::Executor

  // Builds the job's objects and returns; creating them happens on the
  // worker thread. Errors: kInvalidArgument for a job that cannot run here
  // (bad distribution, an input on the agent's host, a snapshot that is too
  // large, an unreadable snapshot, a namespace other than the executor's),
  // kUnimplemented for multi-instance MPI,
  // kFailedPrecondition after Shutdown(). A job that can never fit on the
  // cluster is accepted and then reported Failed with the reason. The ranks
  // of one that fits but not now are reported Queued with what they wait for.
  absl::Status Launch(const agent::LaunchSpec& spec) override;
  // Deletes the Job with propagationPolicy Foreground; the job ends
  // Canceled once its pods are gone.
  absl::Status Cancel(const std::string& job_id, const std::string& reason) override;
  std::vector<agent::JobState> Inventory() override;
  // Deletes a finished job's objects.
  void Forget(const std::string& job_id) override;
  // Waits (up to 30 s) for the first list of Jobs and pods, adopts the Jobs
  // this agent owns and deletes Services, ConfigMaps and pods whose Job is
  // gone. Errors: kUnavailable when the lists did not arrive in time.
  absl::Status Recover() override;
  absl::StatusOr<std::vector<agent::NodeCapacity>> DiscoverCapacity() override;
  std::string JobNamespace() const override { return options_.manifests.namespace_name; }
  void Shutdown() override;

  // For tests: the Kubernetes name of a job's objects.
  static std::string KubernetesName(const std::string& job_id);

 private:
  // One job as the executor follows it.
  struct TrackedJob {
    agent::LaunchSpec spec;
    JobManifests manifests;  // empty for adopted jobs
    std::string status;      // last reported
    std::optional<int> exit_code;
    std::optional<int> signal;
    std::string message;     // last reported message
    std::map<int, std::pair<std::string, std::string>> instances;  // index -> (status, message)
    bool created = false;    // the Job exists on the cluster, or is being created
    bool creating = false;   // CreateObjects() runs for this job
    bool cancel_requested = false;
    std::string cancel_reason;
    bool delete_sent = false;
    std::optional<JobView> outcome;  // set when the job ended; reported after the logs
    std::chrono::steady_clock::time_point ended_at;
    std::map<std::string, std::unique_ptr<LogFollower>> followers;  // by pod
  };

  // Worker thread: runs queued launches and syncs jobs with the caches.
  void RunWorker();
  void Admit(const std::string& job_id);
  // Creates the job's objects; `ours` is set once a Job of this job exists.
  absl::Status CreateObjects(const std::string& job_id, bool* ours);
  absl::Status EnsureNamespace(std::string* note);
  void SyncJob(const std::string& job_id);
  void FinishIfDrained(TrackedJob& job);
  void Report(TrackedJob& job, const std::string& status, const std::string& message,
              std::optional<int> exit_code = std::nullopt,
              std::optional<int> signal = std::nullopt);
  void ReportInstance(TrackedJob& job, const InstanceView& instance);
  // Reports `status` and each status before it that was not reported yet.
  void ReportProgress(TrackedJob& job, const std::string& status);
  void FollowLogs(TrackedJob& job, const JobView& view);
  std::string FailureMessage(TrackedJob& job, const JobView& view);
  void Fail(TrackedJob& job, const std::string& message);
  // Adopts every Job of this agent not held yet and deletes orphans.
  void AdoptAll();
  void Adopt(const nlohmann::json& k8s_job);
  void CleanUpOrphans();
  void Wake();

  // Reflector callbacks.
  void OnJob(const nlohmann::json& object, bool deleted);
  void OnPod(const nlohmann::json& object, bool deleted);

  const KubernetesExecutorOptions options_;
  agent::ExecutorListener* const listener_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Reflector> job_reflector_;
  std::unique_ptr<kube::Reflector> pod_reflector_;
  std::thread worker_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, TrackedJob> jobs_;         // by job id; guarded by mu_
  std::deque<std::string> queue_;                  // jobs waiting for room; guarded by mu_
  std::map<std::string, nlohmann::json> k8s_jobs_;  // by Kubernetes name; guarded by mu_
  std::map<std::string, nlohmann::json> pods_;      // by pod name; guarded by mu_
  std::set<std::string> dirty_;                     // job ids to sync; guarded by mu_
  bool shutting_down_ = false;                      // guarded by mu_
  bool adopt_requested_ = false;                    // Recover() ran; guarded by mu_
  bool adopt_done_ = false;                         // guarded by mu_
  std::condition_variable adopted_;  // adoption finished or an adopted job's state is known
};

}  // namespace ty::executors::kubernetes
