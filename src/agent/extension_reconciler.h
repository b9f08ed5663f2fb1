#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"
#include "agent/installer.h"

namespace ty::agent {

struct ComponentStatus {
  std::string component;
  std::string state;  // "Installed", "Reused", "Skipped" or "Failed"
  std::string message;
};

// The agent's report on one extension.
struct ExtensionReport {
  std::string extension;
  std::string install_state;  // "Installed", "Failed" or "Deleting"
  std::vector<ComponentStatus> statuses;
  bool removed = false;  // the delete finished; the server drops the record
};

nlohmann::json ExtensionReportToJson(const ExtensionReport& report);

// The folder under the agent's `state_dir` that job log lines are copied to
// while the kLogShippingComponent is installed.
std::string LogShippingFolder(const std::string& state_dir);

// Installs and removes an extension's components on a local host. Each
// component is a real check or set-up; one that is already present is
// detected and reused, and its message states that.
class ExtensionReconciler : public ClusterInstaller {
 public:
  // `state_dir` contains what install creates (the data volume root and the
  // log-shipping folder). `executor` discovers GPUs.
  ExtensionReconciler(std::string state_dir, Executor& executor);

  // ClusterInstaller
  ExtensionReport Reconcile(const nlohmann::json& item) override;

 private:
  ComponentStatus ReconcileGpus(bool wanted);
  ComponentStatus ReconcileStorage(bool wanted, const std::string& volume_plugin_dir);
  ComponentStatus ReconcileLogShipping(bool wanted);

  const std::string state_dir_;
  Executor& executor_;
};

}  // namespace ty::agent
