#pragma once

// The agent's record of the extensions of its cluster: the last desired
// state from the server and the last report of the installer, per extension.
// The agent decides from it whether jobs are accepted, whether job logs are
// shipped, and which extensions to reconcile again.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/extension_reconciler.h"

namespace ty::agent {

// Not thread-safe: the agent guards it with its reconcile mutex.
class ExtensionStates {
 public:
  // Stores `report` as the outcome of reconciling `item`. A finished delete
  // removes the extension's entry.
  void Record(const nlohmann::json& item, const ExtensionReport& report);

  // Forgets extensions missing from a full desired-state list.
  void Retain(const std::vector<std::string>& names);

  // Returns the items whose last report is not final: an install still
  // "Installing", or a delete that did not finish.
  std::vector<nlohmann::json> Unsettled() const;

  // Returns true when the report differs from the last one recorded for its
  // extension, so the server needs to hear it.
  bool Changed(const ExtensionReport& report) const;

  // True while some extension is "Installed" with enableTraining=True.
  bool training_enabled() const;

  // True while some installed extension reports kLogShippingComponent as
  // installed or reused.
  bool log_shipping_enabled() const;

 private:
  struct Entry {
    nlohmann::json item;
    ExtensionReport report;
  };
  std::map<std::string, Entry> entries_;  // by extension name
};

}  // namespace ty::agent
