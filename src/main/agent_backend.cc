#include "main/agent_backend.h"

#include <filesystem>

#include <fmt/format.h>

#include "agent/extension_reconciler.h"
#include "api/names.h"
#include "common/status_macros.h"
#include "executors/kubernetes/backend.h"
#include "executors/kubernetes/installer_manifests.h"
#include "executors/local/local_executor.h"

namespace ty {
namespace {

namespace fs = std::filesystem;

// Returns the program that runs each rank's shim: `trainyard-shim` beside
// this binary, which starts faster because it loads fewer libraries, or
// else this binary itself (`trainyard shim`).
std::string ShimPath(const std::string& self_path) {
  fs::path sibling = fs::path(self_path).parent_path() / "trainyard-shim";
  std::error_code error;
  auto status = fs::status(sibling, error);
  bool executable = !error && fs::is_regular_file(status) &&
                    (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
  return executable ? sibling.string() : self_path;
}

AgentBackend CreateLocalBackend(const AgentBackendOptions& options,
                                agent::ExecutorListener* listener) {
  executors::local::LocalExecutorOptions executor_options;
  executor_options.work_root = (fs::path(options.state_dir) / "jobs").string();
  executor_options.shim_path = ShimPath(options.self_path);
  executor_options.grace_period = options.grace_period;
  // Job threads also wake on rank changes; the poll bounds how late a
  // missed wake-up is noticed, which sets the floor of job turnaround.
  executor_options.poll_interval = std::chrono::milliseconds(20);
  AgentBackend backend;
  backend.executor =
      std::make_unique<executors::local::LocalExecutor>(executor_options, listener);
  backend.installer =
      std::make_unique<agent::ExtensionReconciler>(options.state_dir, *backend.executor);
  backend.jobs_share_host = true;
  backend.forget_finished_jobs = true;
  return backend;
}

absl::StatusOr<AgentBackend> CreateKubernetesBackend(const AgentBackendOptions& options,
                                                     agent::ExecutorListener* listener) {
  executors::kubernetes::KubernetesBackendOptions kube_options;
  kube_options.kubeconfig = options.kubeconfig;
  kube_options.context = options.context;
  kube_options.namespace_name = options.namespace_name;
  kube_options.create_namespace = options.create_namespace;
  kube_options.owner = options.owner;
  kube_options.executor.manifests.grace_period = options.grace_period;
  kube_options.executor.manifests.service_account = executors::kubernetes::kTrainingAccount;
  ASSIGN_OR_RETURN(executors::kubernetes::KubernetesBackend created,
                   executors::kubernetes::CreateKubernetesBackend(kube_options, listener));
  AgentBackend backend;
  backend.executor = std::move(created.executor);
  backend.installer = std::move(created.installer);
  return backend;
}

}  // namespace

absl::Status ValidateAgentBackendOptions(const AgentBackendOptions& options) {
  if (options.executor == "kubernetes") {
    if (!options.namespace_name.empty() &&
        !api::ValidateNamespaceName("--namespace", options.namespace_name).ok()) {
      return absl::InvalidArgumentError(fmt::format(
          "--namespace '{}' is not a valid Kubernetes namespace; use 1 to 63 lowercase letters, "
          "digits and '-', starting and ending with a letter or digit",
          options.namespace_name));
    }
    return absl::OkStatus();
  }
  if (options.executor != "local") {
    return absl::InvalidArgumentError(fmt::format(
        "--executor '{}' is not known; use local or kubernetes", options.executor));
  }
  const std::pair<const char*, bool> kubernetes_only[] = {
      {"--kubeconfig", !options.kubeconfig.empty()},
      {"--context", !options.context.empty()},
      {"--namespace", !options.namespace_name.empty()},
      {"--create-namespace", options.create_namespace}};
  for (const auto& [flag, given] : kubernetes_only) {
    if (given) {
      return absl::InvalidArgumentError(fmt::format(
          "{} applies to --executor kubernetes only; add --executor kubernetes or drop {}", flag,
          flag));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AgentBackend> CreateAgentBackend(const AgentBackendOptions& options,
                                                agent::ExecutorListener* listener) {
  RETURN_IF_ERROR(ValidateAgentBackendOptions(options));
  if (options.executor == "kubernetes") return CreateKubernetesBackend(options, listener);
  return CreateLocalBackend(options, listener);
}

}  // namespace ty
