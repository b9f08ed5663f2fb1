#include "agent/extension_reconciler.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"

namespace ty::agent {
namespace {

namespace fs = std::filesystem;

bool Setting(const nlohmann::json& settings, const char* key, bool fallback) {
  auto it = settings.find(key);
  if (it == settings.end()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return it->get<std::string>() == "True";
  return fallback;
}

// The outcome of EnsureFolder: whether the folder was there already, and
// the phrase that says so for a status message.
struct FolderResult {
  bool reused = false;
  std::string phrase;
};

// Creates `folder` or finds it already there and writable.
absl::StatusOr<FolderResult> EnsureFolder(const fs::path& folder) {
  std::error_code error;
  if (fs::is_directory(folder, error)) {
    if (access(folder.c_str(), W_OK) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("'", folder.string(), "' exists but is not writable by the agent"));
    }
    return FolderResult{true, absl::StrCat("already present at '", folder.string(), "', reused")};
  }
  fs::create_directories(folder, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("create '", folder.string(), "': ", error.message()));
  }
  return FolderResult{false, absl::StrCat("created at '", folder.string(), "'")};
}

}  // namespace

nlohmann::json ExtensionReportToJson(const ExtensionReport& report) {
  nlohmann::json statuses = nlohmann::json::array();
  for (const ComponentStatus& status : report.statuses) {
    statuses.push_back(
        {{"component", status.component}, {"state", status.state}, {"message", status.message}});
  }
  return {{"extension", report.extension},
          {"installState", report.install_state},
          {"statuses", statuses},
          {"removed", report.removed}};
}

std::string LogShippingFolder(const std::string& state_dir) {
  return (fs::path(state_dir) / "log-analytics").string();
}

ExtensionReconciler::ExtensionReconciler(std::string state_dir, Executor& executor)
    : state_dir_(std::move(state_dir)), executor_(executor) {}

ExtensionReport ExtensionReconciler::Reconcile(const nlohmann::json& item) {
  ExtensionReport report;
  report.extension = item.value("name", "");
  const nlohmann::json settings = item.value("settings", nlohmann::json::object());

  if (item.value("deleting", false)) {
    // Only what install created is removed. The data volume root and shipped
    // logs are the user's data, so they stay on disk.
    report.install_state = "Deleting";
    report.removed = true;
    report.statuses.push_back({"training", "Skipped", "removed: the cluster no longer accepts jobs"});
    return report;
  }

  bool training = Setting(settings, "enableTraining", false);
  report.statuses.push_back(ReconcileGpus(Setting(settings, "installNvidiaDevicePlugin", true)));
  bool storage = Setting(settings, "installBlobfuseFlexvol", training) ||
                 Setting(settings, "installBlobfuseSysctl", training);
  report.statuses.push_back(
      ReconcileStorage(storage, settings.value("volumePluginDir", "/etc/kubernetes/volumeplugins")));
  bool shipping = Setting(settings, "logAnalyticsWS", false);
  report.statuses.push_back(ReconcileLogShipping(shipping));
  report.statuses.push_back(
      {"training", "Installed",
       training ? "jobs are accepted"
                : "enableTraining=False: the cluster accepts no jobs"});

  report.install_state = "Installed";
  for (const ComponentStatus& status : report.statuses) {
    if (status.state == "Failed") report.install_state = "Failed";
  }
  return report;
}

ComponentStatus ExtensionReconciler::ReconcileGpus(bool wanted) {
  if (!wanted) {
    return {"nvidiaDevicePlugin", "Skipped",
            "installNvidiaDevicePlugin=False: GPUs are not discovered or offered to jobs"};
  }
  absl::StatusOr<std::vector<NodeCapacity>> nodes = executor_.DiscoverCapacity();
  if (!nodes.ok()) {
    return {"nvidiaDevicePlugin", "Failed",
            absl::StrCat("GPU discovery failed: ", nodes.status().message())};
  }
  std::vector<std::string> models;
  for (const NodeCapacity& node : *nodes) {
    for (const GpuInfo& gpu : node.gpus) models.push_back(gpu.model);
  }
  if (models.empty()) {
    return {"nvidiaDevicePlugin", "Installed",
            "no NVIDIA GPU found (nvidia-smi absent or reports none): the cluster runs CPU jobs"};
  }
  // The driver and nvidia-smi come with the host; the agent only uses them.
  return {"nvidiaDevicePlugin", "Reused",
          absl::StrCat("already present: NVIDIA driver found and reused, ", models.size(),
                       " GPU(s): ", absl::StrJoin(models, ", "))};
}

ComponentStatus ExtensionReconciler::ReconcileStorage(bool wanted,
                                                      const std::string& volume_plugin_dir) {
  if (!wanted) {
    return {"storageMount", "Skipped",
            "installBlobfuseFlexvol=False and installBlobfuseSysctl=False: only literal and "
            "direct inputs are available"};
  }
  // On a local host data inputs are local paths; `download` mode copies them
  // under this root, so it must exist and be writable. `volumePluginDir`
  // matters only on Kubernetes nodes.
  fs::path root = fs::path(state_dir_) / "volumes";
  absl::StatusOr<FolderResult> result = EnsureFolder(root);
  if (!result.ok()) {
    return {"storageMount", "Failed", std::string(result.status().message())};
  }
  struct statvfs stats {};
  std::string space;
  if (statvfs(root.c_str(), &stats) == 0) {
    space = absl::StrCat(", ", (stats.f_bavail * stats.f_frsize) >> 20, " MiB free");
  }
  return {"storageMount", result->reused ? "Reused" : "Installed",
          absl::StrCat("data volume root ", result->phrase, space, " (volumePluginDir '",
                       volume_plugin_dir, "' is used on Kubernetes only)")};
}

ComponentStatus ExtensionReconciler::ReconcileLogShipping(bool wanted) {
  if (!wanted) {
    return {kLogShippingComponent, "Skipped", "logAnalyticsWS=False: job logs stay in the workspace only"};
  }
  absl::StatusOr<FolderResult> result = EnsureFolder(LogShippingFolder(state_dir_));
  if (!result.ok()) {
    return {kLogShippingComponent, "Failed", std::string(result.status().message())};
  }
  return {kLogShippingComponent, result->reused ? "Reused" : "Installed",
          absl::StrCat("job log lines are also written as JSON lines to the log store, ",
                       result->phrase)};
}

}  // namespace ty::agent
