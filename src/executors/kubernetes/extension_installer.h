#pragma once

// Installs and removes the extension's components on a Kubernetes cluster:
// the namespace, the job pods' ServiceAccount with a least-privilege Role
// and RoleBinding, NVIDIA's device plugin DaemonSet and the storage driver
// DaemonSets, as the settings ask. A component already present is reused,
// and its status message states that. An object of our name that Trainyard
// did not create is reported and left untouched. DaemonSets count as installed when
// all the pods they want are ready. Delete removes what install created and
// nothing else.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/extension_reconciler.h"
#include "agent/installer.h"
#include "executors/kubernetes/installer_manifests.h"
#include "kube/client.h"

namespace ty::executors::kubernetes {

struct ExtensionInstallerOptions {
  std::string namespace_name = "trainyard";
  InstallerImages images;
};

// Not thread-safe: the agent calls it from one thread.
class ExtensionInstaller : public agent::ClusterInstaller {
 public:
  // `client` must outlive the installer.
  ExtensionInstaller(kube::Client& client, ExtensionInstallerOptions options);
  // Keeps `client` for as long as the installer lives.
  ExtensionInstaller(std::unique_ptr<kube::Client> client, ExtensionInstallerOptions options);

  // agent::ClusterInstaller

  // Components: "namespace", "trainingAccount", "nvidiaDevicePlugin",
  // "blobfuseFlexvol", "blobfuseSysctl" and "training", each "Installed",
  // "Installing" (a DaemonSet's pods are not all ready yet), "Reused",
  // "Skipped", "Removed" or "Failed" with a message.
  agent::ExtensionReport Reconcile(const nlohmann::json& item) override;

 private:
  agent::ExtensionReport Install(const std::string& extension, const nlohmann::json& settings);
  agent::ExtensionReport Remove(const std::string& extension);

  // Creates `object` unless present. A present object that this extension
  // created is updated to `object` when they differ. One that it did not
  // create is reported Failed and left alone, unless `reuse_foreign`.
  agent::ComponentStatus Ensure(const std::string& component, const kube::ResourceType& type,
                                const nlohmann::json& object, const std::string& extension,
                                bool reuse_foreign);
  agent::ComponentStatus EnsureDaemonSet(const std::string& component,
                                         const nlohmann::json& object,
                                         const std::string& extension);
  agent::ComponentStatus InstallDevicePlugin(const std::string& extension);
  // Deletes the object if this extension created it. Returns what was done,
  // for the delete report.
  std::string RemoveIfOurs(const kube::ResourceType& type, const std::string& namespace_name,
                           const std::string& name, const std::string& extension);

  std::unique_ptr<kube::Client> owned_client_;  // null when the caller owns the client
  kube::Client& client_;
  const ExtensionInstallerOptions options_;
};

// Describes a DaemonSet's readiness: true when every pod it wants is
// ready, with "2 of 3 pods ready" in `detail`.
bool DaemonSetReady(const nlohmann::json& daemonset, std::string* detail);

}  // namespace ty::executors::kubernetes
