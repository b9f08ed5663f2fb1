#include "executors/kubernetes/extension_installer.h"

#include <fmt/format.h>

#include "common/log.h"
#include "executors/kubernetes/device_plugin.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using agent::ComponentStatus;
using nlohmann::json;

bool Setting(const json& settings, const char* key, bool fallback) {
  auto it = settings.find(key);
  if (it == settings.end()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return it->get<std::string>() == "True";
  return fallback;
}

// True when every field of `want` has the same value in `have`. Fields
// that only `have` holds are the API server's defaults and do not count.
bool IsSubset(const json& want, const json& have) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (const auto& [key, value] : want.items()) {
      if (!have.contains(key) || !IsSubset(value, have[key])) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!IsSubset(want[i], have[i])) return false;
    }
    return true;
  }
  return want == have;
}

std::string Where(const json& object) {
  const json& metadata = object["metadata"];
  std::string name = metadata.value("name", "");
  std::string namespace_name = metadata.value("namespace", "");
  return namespace_name.empty() ? fmt::format("{} '{}'", object.value("kind", ""), name)
                                : fmt::format("{} '{}/{}'", object.value("kind", ""),
                                              namespace_name, name);
}

// Ranks states so that a component made of several objects reports the
// worst of them.
int Severity(const std::string& state) {
  if (state == "Failed") return 3;
  if (state == "Installing") return 2;
  if (state == "Installed") return 1;
  return 0;
}

}  // namespace

bool DaemonSetReady(const json& daemonset, std::string* detail) {
  const json& status = daemonset.value("status", json::object());
  int64_t desired = status.value("desiredNumberScheduled", int64_t{0});
  int64_t ready = status.value("numberReady", int64_t{0});
  int64_t observed = status.value("observedGeneration", int64_t{0});
  int64_t generation = daemonset["metadata"].value("generation", int64_t{0});
  *detail = fmt::format("{} of {} pods ready", ready, desired);
  return observed >= generation && ready >= desired;
}

ExtensionInstaller::ExtensionInstaller(kube::Client& client, ExtensionInstallerOptions options)
    : client_(client), options_(std::move(options)) {}

ExtensionInstaller::ExtensionInstaller(std::unique_ptr<kube::Client> client,
                                       ExtensionInstallerOptions options)
    : owned_client_(std::move(client)), client_(*owned_client_), options_(std::move(options)) {}

agent::ExtensionReport ExtensionInstaller::Reconcile(const json& item) {
  std::string extension = item.value("name", "");
  if (item.value("deleting", false)) return Remove(extension);
  return Install(extension, item.value("settings", json::object()));
}

ComponentStatus ExtensionInstaller::Ensure(const std::string& component,
                                           const kube::ResourceType& type, const json& object,
                                           const std::string& extension, bool reuse_foreign) {
  const std::string& namespace_name = options_.namespace_name;
  std::string name = object["metadata"].value("name", "");
  absl::StatusOr<json> found = client_.Get(type, namespace_name, name);
  if (found.status().code() == absl::StatusCode::kNotFound) {
    absl::StatusOr<json> created = client_.Create(type, namespace_name, object);
    if (!created.ok()) return {component, "Failed", std::string(created.status().message())};
    return {component, "Installed", fmt::format("created {}", Where(object))};
  }
  if (!found.ok()) return {component, "Failed", std::string(found.status().message())};

  if (!CreatedByExtension(*found, extension)) {
    if (reuse_foreign) {
      return {component, "Reused", fmt::format("{} already exists, reused", Where(object))};
    }
    return {component, "Failed",
            fmt::format("{} exists but was not created by Trainyard, so it was left untouched; "
                        "delete or rename it, or install the extension into another namespace",
                        Where(object))};
  }
  json wanted = object;
  wanted.erase("metadata");
  if (IsSubset(wanted, *found)) {
    return {component, "Installed", fmt::format("{} already installed", Where(object))};
  }
  absl::StatusOr<json> patched = client_.MergePatch(type, namespace_name, name, wanted);
  if (!patched.ok()) return {component, "Failed", std::string(patched.status().message())};
  return {component, "Installed", fmt::format("updated {} to the current settings", Where(object))};
}

ComponentStatus ExtensionInstaller::EnsureDaemonSet(const std::string& component,
                                                    const json& object,
                                                    const std::string& extension) {
  ComponentStatus status = Ensure(component, kube::kDaemonSets, object, extension, false);
  if (status.state != "Installed") return status;
  absl::StatusOr<json> current =
      client_.Get(kube::kDaemonSets, options_.namespace_name,
                  object["metadata"]["name"].get<std::string>());
  if (!current.ok()) return {component, "Failed", std::string(current.status().message())};
  std::string detail;
  bool ready = DaemonSetReady(*current, &detail);
  status.message += fmt::format(" ({})", detail);
  if (!ready) status.state = "Installing";
  return status;
}

ComponentStatus ExtensionInstaller::InstallDevicePlugin(const std::string& extension) {
  constexpr char kComponent[] = "nvidiaDevicePlugin";
  absl::StatusOr<DevicePluginInfo> plugin = FindDevicePlugin(client_, options_.namespace_name);
  if (!plugin.ok()) return {kComponent, "Failed", std::string(plugin.status().message())};
  if (plugin->found && !(plugin->ours && plugin->name == kDevicePluginName)) {
    // A second device plugin would register the same GPUs twice, which is
    // the classic cause of failed installs.
    std::string detail;
    absl::StatusOr<json> existing =
        client_.Get(kube::kDaemonSets, plugin->namespace_name, plugin->name);
    if (existing.ok()) DaemonSetReady(*existing, &detail);
    return {kComponent, "Reused",
            fmt::format("already present: DaemonSet '{}/{}' runs an NVIDIA device plugin{}; not "
                        "installing a second one",
                        plugin->namespace_name, plugin->name,
                        detail.empty() ? "" : " (" + detail + ")")};
  }
  return EnsureDaemonSet(
      kComponent, DevicePluginDaemonSet(options_.namespace_name, extension, options_.images),
      extension);
}

agent::ExtensionReport ExtensionInstaller::Install(const std::string& extension,
                                                   const json& settings) {
  agent::ExtensionReport report;
  report.extension = extension;
  const std::string& namespace_name = options_.namespace_name;
  bool training = Setting(settings, "enableTraining", false);

  ComponentStatus namespace_status = Ensure(
      "namespace", kube::kNamespaces, NamespaceObject(namespace_name, extension), extension, true);
  report.statuses.push_back(namespace_status);
  if (namespace_status.state == "Failed") {
    report.install_state = "Failed";
    return report;
  }

  // The ServiceAccount, Role and RoleBinding make one component.
  ComponentStatus account{"trainingAccount", "Reused", ""};
  std::vector<std::string> messages;
  for (const auto& [type, object] :
       {std::pair{&kube::kServiceAccounts, TrainingServiceAccount(namespace_name, extension)},
        std::pair{&kube::kRoles, TrainingRole(namespace_name, extension)},
        std::pair{&kube::kRoleBindings, TrainingRoleBinding(namespace_name, extension)}}) {
    ComponentStatus part = Ensure("trainingAccount", *type, object, extension, false);
    if (Severity(part.state) > Severity(account.state)) account.state = part.state;
    messages.push_back(part.message);
  }
  account.message = fmt::format("{}", fmt::join(messages, "; "));
  report.statuses.push_back(account);

  if (Setting(settings, "installNvidiaDevicePlugin", true)) {
    report.statuses.push_back(InstallDevicePlugin(extension));
  } else {
    report.statuses.push_back(
        {"nvidiaDevicePlugin", "Skipped",
         "installNvidiaDevicePlugin=False: " +
             RemoveIfOurs(kube::kDaemonSets, namespace_name, kDevicePluginName, extension)});
  }

  std::string plugin_dir = settings.value("volumePluginDir", "/etc/kubernetes/volumeplugins");
  if (Setting(settings, "installBlobfuseFlexvol", training)) {
    report.statuses.push_back(EnsureDaemonSet(
        "blobfuseFlexvol",
        FlexvolDaemonSet(namespace_name, extension, plugin_dir, options_.images), extension));
  } else {
    report.statuses.push_back(
        {"blobfuseFlexvol", "Skipped",
         "installBlobfuseFlexvol=False: " +
             RemoveIfOurs(kube::kDaemonSets, namespace_name, kFlexvolName, extension)});
  }
  if (Setting(settings, "installBlobfuseSysctl", training)) {
    report.statuses.push_back(EnsureDaemonSet(
        "blobfuseSysctl", SysctlDaemonSet(namespace_name, extension, options_.images),
        extension));
  } else {
    report.statuses.push_back(
        {"blobfuseSysctl", "Skipped",
         "installBlobfuseSysctl=False: " +
             RemoveIfOurs(kube::kDaemonSets, namespace_name, kSysctlName, extension)});
  }
  if (Setting(settings, "logAnalyticsWS", false)) {
    // TODO: ship job logs to a log store from Kubernetes clusters too; the
    // agent ships them only where the installer provides the log folder.
    report.statuses.push_back({agent::kLogShippingComponent, "Skipped",
                               "logAnalyticsWS=True is not supported on Kubernetes yet: job logs "
                               "stay in the workspace only"});
  }
  report.statuses.push_back({"training", "Installed",
                             training ? "jobs are accepted"
                                      : "enableTraining=False: the cluster accepts no jobs"});

  int worst = 0;
  for (const ComponentStatus& status : report.statuses) {
    worst = std::max(worst, Severity(status.state));
  }
  report.install_state = worst == 3 ? "Failed" : worst == 2 ? "Installing" : "Installed";
  log::Info("extension {}: {} in namespace '{}'", extension, report.install_state,
            namespace_name);
  return report;
}

std::string ExtensionInstaller::RemoveIfOurs(const kube::ResourceType& type,
                                             const std::string& namespace_name,
                                             const std::string& name,
                                             const std::string& extension) {
  absl::StatusOr<json> found = client_.Get(type, namespace_name, name);
  if (found.status().code() == absl::StatusCode::kNotFound) {
    return fmt::format("no {} '{}' to remove", type.kind, name);
  }
  if (!found.ok()) return fmt::format("failed: {}", found.status().message());
  if (!CreatedByExtension(*found, extension)) {
    return fmt::format("{} '{}' was not created by this extension, so it stays", type.kind, name);
  }
  absl::Status deleted =
      client_.Delete(type, namespace_name, name, kube::PropagationPolicy::kForeground);
  if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) {
    return fmt::format("failed: {}", deleted.message());
  }
  return fmt::format("removed {} '{}'", type.kind, name);
}

}  // namespace ty::executors::kubernetes
