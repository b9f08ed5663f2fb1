#pragma once

// The backend of `trainyard agent`: the executor that runs jobs and the
// installer that puts the extension's components on the cluster, chosen by
// --executor. The agent gets both through their interfaces only.

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/executor.h"
#include "agent/installer.h"

namespace ty {

struct AgentBackendOptions {
  std::string executor = "local";  // "local" or "kubernetes"
  std::string state_dir;
  std::chrono::seconds grace_period{10};
  std::string self_path;  // this binary, which the local executor runs as each rank's shim
  // Kubernetes only.
  std::string kubeconfig;  // empty: in-cluster, else $KUBECONFIG or ~/.kube/config
  std::string context;
  std::string namespace_name;  // empty: the context's, else the pod's, else "trainyard"
  bool create_namespace = false;
  std::string owner;  // marks this agent's cluster objects; the cluster id
};

// The installer may use the executor, so it is declared after it and
// destroyed first.
struct AgentBackend {
  std::unique_ptr<agent::Executor> executor;
  std::unique_ptr<agent::ClusterInstaller> installer;
  // True when job processes run on the agent's own host, so they can use
  // files beside the agent (the Python tracking client).
  bool jobs_share_host = false;
  // True when forgetting a finished job only frees the agent's disk. For
  // Kubernetes it would delete the Job and its pods, which people inspect
  // with kubectl after the end.
  bool forget_finished_jobs = false;
};

// Checks the flags that only one executor takes, and the namespace name.
// Errors: kInvalidArgument naming the flag, its value and the fix.
absl::Status ValidateAgentBackendOptions(const AgentBackendOptions& options);

// Creates the backend. Errors: those of ValidateAgentBackendOptions. For
// Kubernetes also a kubeconfig that cannot be read (kNotFound or
// kInvalidArgument), a token the API server rejects (kUnauthenticated), and
// RBAC denials (kPermissionDenied, naming the verb and resource).
absl::StatusOr<AgentBackend> CreateAgentBackend(const AgentBackendOptions& options,
                                                agent::ExecutorListener* listener);

}  // namespace ty
