// ExtensionInstaller::Remove: deletes what install created and nothing else.

#include <fmt/format.h>

#include "common/log.h"
#include "executors/kubernetes/extension_installer.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using agent::ComponentStatus;
using nlohmann::json;

// Lists the objects in `namespace_name` that Trainyard did not create, so
// that deleting the namespace would take someone else's work with it.
std::vector<std::string> ForeignObjects(kube::Client& client, const std::string& namespace_name) {
  std::vector<std::string> foreign;
  for (const kube::ResourceType* type :
       {&kube::kPods, &kube::kServices, &kube::kConfigMaps, &kube::kJobs, &kube::kDaemonSets}) {
    absl::StatusOr<json> list = client.List(*type, namespace_name);
    if (!list.ok()) {
      foreign.push_back(fmt::format("{} (not listable: {})", type->plural, list.status().message()));
      continue;
    }
    for (const json& item : list->value("items", json::array())) {
      const json& metadata = item.value("metadata", json::object());
      std::string name = metadata.value("name", "");
      // Kubernetes puts the cluster CA into every namespace itself.
      if (type == &kube::kConfigMaps && name == "kube-root-ca.crt") continue;
      const json& labels = metadata.value("labels", json::object());
      if (labels.value(kManagedByLabel, "") == kManagedByValue) continue;
      foreign.push_back(fmt::format("{} '{}'", type->kind, name));
    }
  }
  return foreign;
}

}  // namespace

agent::ExtensionReport ExtensionInstaller::Remove(const std::string& extension) {
  agent::ExtensionReport report;
  report.extension = extension;
  report.install_state = "Deleting";
  const std::string& namespace_name = options_.namespace_name;

  bool failed = false;
  auto record = [&](const std::string& component, const std::string& message) {
    bool part_failed = message.starts_with("failed");
    failed |= part_failed;
    report.statuses.push_back({component, part_failed ? "Failed" : "Removed", message});
  };
  record("nvidiaDevicePlugin",
         RemoveIfOurs(kube::kDaemonSets, namespace_name, kDevicePluginName, extension));
  record("blobfuseFlexvol", RemoveIfOurs(kube::kDaemonSets, namespace_name, kFlexvolName,
                                         extension));
  record("blobfuseSysctl", RemoveIfOurs(kube::kDaemonSets, namespace_name, kSysctlName,
                                        extension));
  std::vector<std::string> account;
  for (const kube::ResourceType* type :
       {&kube::kRoleBindings, &kube::kRoles, &kube::kServiceAccounts}) {
    account.push_back(RemoveIfOurs(*type, namespace_name, kTrainingAccount, extension));
  }
  std::string account_message = fmt::format("{}", fmt::join(account, "; "));
  bool account_failed = account_message.find("failed") != std::string::npos;
  failed |= account_failed;
  report.statuses.push_back(
      {"trainingAccount", account_failed ? "Failed" : "Removed", account_message});

  absl::StatusOr<json> found = client_.Get(kube::kNamespaces, "", namespace_name);
  if (found.ok() && CreatedByExtension(*found, extension)) {
    std::vector<std::string> foreign = ForeignObjects(client_, namespace_name);
    if (foreign.empty()) {
      record("namespace", RemoveIfOurs(kube::kNamespaces, "", namespace_name, extension));
    } else {
      report.statuses.push_back(
          {"namespace", "Reused",
           fmt::format("namespace '{}' was kept because it holds objects Trainyard did not "
                       "create: {}",
                       namespace_name, fmt::join(foreign, ", "))});
    }
  } else if (found.ok()) {
    report.statuses.push_back({"namespace", "Reused",
                               fmt::format("namespace '{}' existed before the extension, so it "
                                           "stays",
                                           namespace_name)});
  } else if (found.status().code() != absl::StatusCode::kNotFound) {
    record("namespace", fmt::format("failed: {}", found.status().message()));
  }
  report.statuses.push_back({"training", "Skipped", "removed: the cluster no longer accepts jobs"});

  // A failed delete is tried again on the next reconcile, so the record
  // stays until everything the extension created is gone.
  report.removed = !failed;
  log::Info("extension {}: {} in namespace '{}'", extension,
            failed ? "delete incomplete" : "removed", namespace_name);
  return report;
}

}  // namespace ty::executors::kubernetes
