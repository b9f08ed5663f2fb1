#pragma once

// The seam between the agent and what installs an extension's components on
// the cluster it serves: ExtensionReconciler for a local host, and the
// Kubernetes executor's ExtensionInstaller for a cluster. The agent uses
// only this interface and does not depend on either backend.

#include <nlohmann/json_fwd.hpp>

namespace ty::agent {

struct ExtensionReport;  // agent/extension_reconciler.h

// Name of the component whose "Installed" or "Reused" state makes the agent
// copy job log lines to the log store (logAnalyticsWS=True). A backend
// that cannot ship logs does not report it.
inline constexpr char kLogShippingComponent[] = "logShipping";

// Not thread-safe: the agent calls it from one thread at a time.
class ClusterInstaller {
 public:
  virtual ~ClusterInstaller() = default;

  // Reconciles one item of an `extensions` frame: {"name", "settings",
  // "deleting"}, settings holding "True"/"False" strings for booleans.
  // Returns the report to send. An install_state of "Installing" means some
  // component is not ready yet: call again after a few seconds until it is
  // "Installed" or "Failed". A delete reports `removed` once everything
  // that install created is gone.
  virtual ExtensionReport Reconcile(const nlohmann::json& item) = 0;
};

}  // namespace ty::agent
