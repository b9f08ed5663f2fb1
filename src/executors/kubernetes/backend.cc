#include "executors/kubernetes/backend.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "executors/kubernetes/extension_installer.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {

absl::StatusOr<kube::ClusterConfig> ResolveClusterConfig(const KubernetesBackendOptions& options) {
  kube::InClusterSource in_cluster = kube::InClusterSourceFromEnvironment();
  bool in_pod = !in_cluster.host.empty() &&
                std::filesystem::exists(in_cluster.secrets_dir + "/token");
  if (options.kubeconfig.empty() && options.context.empty() && in_pod) {
    return kube::LoadInClusterConfig(in_cluster);
  }
  return kube::LoadKubeconfig(options.kubeconfig, options.context);
}

absl::StatusOr<KubernetesBackend> CreateKubernetesBackend(const KubernetesBackendOptions& options,
                                                          agent::ExecutorListener* listener) {
  KubernetesBackend backend;
  ASSIGN_OR_RETURN(backend.cluster, ResolveClusterConfig(options));
  std::string namespace_name = options.namespace_name;
  if (namespace_name.empty()) namespace_name = backend.cluster.namespace_name;
  if (namespace_name.empty()) namespace_name = "trainyard";

  KubernetesExecutorOptions executor_options = options.executor;
  executor_options.manifests.namespace_name = namespace_name;
  executor_options.manifests.owner = options.owner;
  executor_options.create_namespace = options.create_namespace;
  executor_options.extension_namespace = namespace_name;

  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client, kube::Client::FromConfig(backend.cluster));
  absl::StatusOr<nlohmann::json> probe =
      client->List(kube::kJobs, namespace_name, {.label_selector = OwnedSelector(options.owner)});
  if (!probe.ok()) {
    if (probe.status().code() != absl::StatusCode::kUnavailable &&
        probe.status().code() != absl::StatusCode::kDeadlineExceeded) {
      return probe.status();
    }
    log::Warning("kubernetes executor: {}; retrying in the background", probe.status().message());
  }
  log::Info("kubernetes executor: using {} at {} with namespace '{}'", backend.cluster.source,
            backend.cluster.server, namespace_name);

  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> installer_client,
                   kube::Client::FromConfig(backend.cluster));
  backend.installer = std::make_unique<ExtensionInstaller>(
      std::move(installer_client),
      ExtensionInstallerOptions{.namespace_name = namespace_name,
                                .images = options.installer_images});
  backend.executor =
      std::make_unique<KubernetesExecutor>(std::move(client), executor_options, listener);
  return backend;
}

}  // namespace ty::executors::kubernetes
