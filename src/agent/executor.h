#pragma once

// The seam between the agent and the backends that run jobs. The agent owns
// the relay and the server; an executor owns processes (local) or cluster
// objects (kubernetes) and reports what happens to them through an
// ExecutorListener. Executors never talk to the server.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/toleration.h"

namespace ty::agent {

// A data input resolved for this host: a literal value or a local path.
struct InputBinding {
  std::string type;  // "literal", "uri_file" or "uri_folder"
  std::string value; // the literal, or an absolute path on this host
  std::string mode;  // "ro_mount", "download" or "direct"; empty for literals
};

// Resources that one instance (node) of a job requests, from its instance
// type.
struct ResourceRequest {
  double cpus = 1;
  int64_t memory_bytes = 0;  // 0: no memory request
  int gpus = 0;
  std::map<std::string, std::string> node_selector;
  double cpu_limit = 0;            // 0: no limit
  int64_t memory_limit_bytes = 0;  // 0: no limit
  std::vector<api::Toleration> tolerations;
};

// Everything an executor needs to start one job. `job_id` is unique across
// the cluster and stable across restarts ("<group>/<workspace>/<job>").
struct LaunchSpec {
  std::string job_id;
  std::string command;  // still contains ${{inputs.X}} and ${{outputs.X}}
  std::map<std::string, InputBinding> inputs;
  std::vector<std::string> outputs;             // output names
  std::map<std::string, std::string> environment;  // job variables plus tracking variables
  std::string code_archive;   // local path of the code snapshot (tar), or empty
  std::string environment_name;  // the job spec's `environment`, informational on local
  // The compute target's Kubernetes namespace; empty when not set.
  std::string namespace_name;
  int instance_count = 1;
  int processes_per_instance = 1;
  std::string distribution;   // "", "pytorch", "mpi" or "tensorflow"
  int parameter_server_count = 0;  // tensorflow only
  ResourceRequest resources;  // per instance
  std::chrono::seconds timeout{0};  // 0: no limit
};

// A status transition of a whole job, or of one rank when `rank` is set.
// Job statuses: "Preparing", "Starting", "Running", "Finalizing",
// "Completed", "Failed", "Canceled".
struct StatusEvent {
  std::string job_id;
  std::string status;
  std::optional<int> rank;
  // With `rank`: where the rank runs, such as "host/1" (host and instance
  // index) on the local executor or the pod's name on Kubernetes.
  std::string node;
  std::optional<int> exit_code;
  std::optional<int> signal;  // set when a signal ended the process
  std::string message;        // the reason for failures and cancels
  int64_t time_ms = 0;
};

// A chunk of one rank's output. `offset` is the index of the chunk's first
// line within that rank's stream (counted from 0, in lines, not bytes), so
// the server can drop lines it already stored when a chunk is sent twice.
// It must stay the same for the same line across agent restarts.
struct LogChunk {
  std::string job_id;
  int rank = 0;
  std::string stream;  // "stdout" or "stderr"
  int64_t offset = 0;
  std::vector<std::pair<int64_t, std::string>> lines;  // (time in ms, text as valid UTF-8)
};

// Receives what executors report. Implementations must be thread-safe and
// return quickly; executors call from their own threads.
class ExecutorListener {
 public:
  virtual ~ExecutorListener() = default;
  virtual void OnStatus(const StatusEvent& event) = 0;
  virtual void OnLog(const LogChunk& chunk) = 0;
  // Called during Finalizing with the folder that contains output `name`; the
  // job's terminal status is reported only after this returns.
  virtual absl::Status UploadOutput(const std::string& job_id, const std::string& name,
                                    const std::string& folder) = 0;
};

// One GPU on a node.
struct GpuInfo {
  int index = 0;
  std::string model;
  int64_t memory_bytes = 0;
};

struct NodeCapacity {
  std::string name;
  double cpus = 0;
  int64_t memory_bytes = 0;
  std::vector<GpuInfo> gpus;
};

// A job the executor holds, for the inventory the agent sends on reconnect.
struct JobState {
  std::string job_id;
  std::string status;  // last status reported
  std::optional<int> exit_code;
  std::optional<int> signal;
};

// Runs jobs on one backend. Thread-safe.
class Executor {
 public:
  virtual ~Executor() = default;

  // Starts `spec` in the background and returns at once. Launching a job id
  // the executor already runs or ran is a no-op returning OK, so a repeated
  // assignment never runs a job twice.
  virtual absl::Status Launch(const LaunchSpec& spec) = 0;

  // Stops every process or object of the job: SIGTERM, then SIGKILL after
  // the grace period. The job ends as "Canceled". Cancelling an unknown or
  // finished job returns OK.
  virtual absl::Status Cancel(const std::string& job_id, const std::string& reason) = 0;

  // The jobs held now, finished ones included until Forget() is called.
  virtual std::vector<JobState> Inventory() = 0;

  // Drops a finished job from the inventory and frees its working folder.
  virtual void Forget(const std::string& job_id) = 0;

  // Finds jobs left by a previous agent process, re-attaches to those still
  // running and reports the real outcome of those that ended meanwhile.
  virtual absl::Status Recover() = 0;

  // Returns the nodes and their resources as the backend reports them now.
  virtual absl::StatusOr<std::vector<NodeCapacity>> DiscoverCapacity() = 0;

  // Returns the Kubernetes namespace that jobs run in, or "" for a backend
  // without namespaces. The agent reports it, so that the server can check
  // the namespace of a compute when it is attached.
  virtual std::string JobNamespace() const { return ""; }

  // Stops watching (processes keep running) and joins internal threads.
  virtual void Shutdown() = 0;
};

}  // namespace ty::agent
