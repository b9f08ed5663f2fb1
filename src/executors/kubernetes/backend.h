#pragma once

// Builds the Kubernetes executor and extension installer for
// `trainyard agent --executor kubernetes`.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/executor.h"
#include "agent/installer.h"
#include "executors/kubernetes/installer_manifests.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "kube/config.h"

namespace ty::executors::kubernetes {

struct KubernetesBackendOptions {
  // --kubeconfig; empty: the pod's service account when running in a pod,
  // else $KUBECONFIG or ~/.kube/config.
  std::string kubeconfig;
  std::string context;  // --context; empty: the kubeconfig's current-context
  // Namespace of the jobs and the extension's objects; empty: the
  // context's namespace, else the pod's own, else "trainyard".
  std::string namespace_name;
  // Identifies this agent on its objects (the cluster id is a good value),
  // so agents that share a namespace leave each other's jobs alone.
  std::string owner = "default";
  bool create_namespace = false;
  // Everything else; its manifests.namespace_name and owner are set from
  // the fields above.
  KubernetesExecutorOptions executor;
  InstallerImages installer_images;
};

struct KubernetesBackend {
  kube::ClusterConfig cluster;  // what was connected to, for logs
  std::unique_ptr<agent::Executor> executor;
  std::unique_ptr<agent::ClusterInstaller> installer;
};

// Returns the cluster configuration `options` select: the kubeconfig when
// one is given or no pod service account is present, else in-cluster.
// Errors: those of LoadKubeconfig and LoadInClusterConfig.
absl::StatusOr<kube::ClusterConfig> ResolveClusterConfig(const KubernetesBackendOptions& options);

// Connects and checks that the agent may list Jobs in the namespace.
// Errors: kUnauthenticated (the token was rejected), kPermissionDenied
// (RBAC, the verb and resource named), kInvalidArgument (configuration); an
// unreachable API server is only logged, since the executor retries.
absl::StatusOr<KubernetesBackend> CreateKubernetesBackend(const KubernetesBackendOptions& options,
                                                          agent::ExecutorListener* listener);

}  // namespace ty::executors::kubernetes
