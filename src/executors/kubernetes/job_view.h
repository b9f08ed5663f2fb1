#pragma once

// Reads a job's state from its Kubernetes Job and pods. For each rank it
// tells whether it waits and why (the scheduler's message, an image that
// cannot be pulled), runs, or ended with which exit code. For the job it
// tells whether it completed or failed.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ty::executors::kubernetes {

// One instance (pod) of a job, by completion index.
struct InstanceView {
  int index = 0;
  std::string pod;     // the pod's name
  std::string status;  // "Starting", "Running", "Completed" or "Failed"
  std::optional<int> exit_code;
  std::optional<int> signal;
  // Why the instance waits ("waiting to be scheduled: 0/1 nodes are
  // available: ...") or how it ended; empty when running normally.
  std::string message;
  // The pod cannot start and will not recover by waiting (ImagePullBackOff,
  // CrashLoopBackOff, an invalid image name or configuration).
  bool fatal = false;
  bool logs_available = false;  // the main container has started
  bool scheduled = false;       // bound to a node
};

struct JobView {
  std::string status;  // "Starting", "Running", "Completed" or "Failed"
  std::string message;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<int> failed_index;  // the instance whose failure failed the job
  std::map<int, InstanceView> instances;
};

// Reads one pod. Only the main container's state counts for the exit code.
InstanceView ViewPod(const nlohmann::json& pod, int index);

// Reads the Job and its pods (`pods` may hold several per index, from
// retries; the newest wins). `timeout_seconds` names the limit in the
// message of a job that ran out of time.
JobView ViewJob(const nlohmann::json& job, const std::vector<nlohmann::json>& pods,
                int instance_count, int64_t timeout_seconds);

// Returns the completion index of a pod of an Indexed Job, or -1.
int CompletionIndex(const nlohmann::json& pod);

}  // namespace ty::executors::kubernetes
