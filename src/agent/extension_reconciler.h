#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"

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

// Installs and removes an extension's components on a local host. Each
// component is a real check or set-up; one that is already present is
// detected and reused, and its message states that. Not thread-safe: the agent
// calls it from one thread.
class ExtensionReconciler {
 public:
  // `state_dir` contains what install creates (the data volume root and the
  // log-shipping folder). `executor` discovers GPUs.
  ExtensionReconciler(std::string state_dir, Executor& executor);

  // Reconciles one item of an `extensions` frame: {"name", "settings",
  // "deleting"}. Settings are the server's effective settings ("True" or
  // "False" strings for booleans).
  ExtensionReport Reconcile(const nlohmann::json& item);

  // Forgets extensions missing from a full desired-state list.
  void Retain(const std::vector<std::string>& names);

  // True while some installed extension has enableTraining=True.
  bool training_enabled() const;

  // The folder job logs are copied to when logAnalyticsWS=True, or "".
  std::string log_shipping_dir() const;

 private:
  ComponentStatus ReconcileGpus(bool wanted);
  ComponentStatus ReconcileStorage(bool wanted, const std::string& volume_plugin_dir);
  ComponentStatus ReconcileLogShipping(bool wanted);

  const std::string state_dir_;
  Executor& executor_;
  std::map<std::string, bool> training_by_extension_;
  std::map<std::string, bool> log_shipping_by_extension_;
};

}  // namespace ty::agent
