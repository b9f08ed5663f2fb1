#include "agent/extension_states.h"

#include <algorithm>

#include "agent/installer.h"

namespace ty::agent {
namespace {

bool TrainingSetting(const nlohmann::json& item) {
  const nlohmann::json settings = item.value("settings", nlohmann::json::object());
  auto it = settings.find("enableTraining");
  if (it == settings.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  return it->is_string() && it->get<std::string>() == "True";
}

bool SameStatuses(const std::vector<ComponentStatus>& a, const std::vector<ComponentStatus>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const ComponentStatus& left, const ComponentStatus& right) {
                      return left.component == right.component && left.state == right.state &&
                             left.message == right.message;
                    });
}

}  // namespace

void ExtensionStates::Record(const nlohmann::json& item, const ExtensionReport& report) {
  if (report.removed) {
    entries_.erase(report.extension);
    return;
  }
  entries_[report.extension] = Entry{item, report};
}

void ExtensionStates::Retain(const std::vector<std::string>& names) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (std::find(names.begin(), names.end(), it->first) == names.end()) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<nlohmann::json> ExtensionStates::Unsettled() const {
  std::vector<nlohmann::json> items;
  for (const auto& [name, entry] : entries_) {
    bool deleting = entry.item.value("deleting", false);
    if (entry.report.install_state == "Installing" || (deleting && !entry.report.removed)) {
      items.push_back(entry.item);
    }
  }
  return items;
}

bool ExtensionStates::Changed(const ExtensionReport& report) const {
  auto it = entries_.find(report.extension);
  if (it == entries_.end()) return true;
  const ExtensionReport& last = it->second.report;
  return last.install_state != report.install_state || last.removed != report.removed ||
         !SameStatuses(last.statuses, report.statuses);
}

bool ExtensionStates::training_enabled() const {
  for (const auto& [name, entry] : entries_) {
    if (entry.report.install_state == "Installed" && !entry.item.value("deleting", false) &&
        TrainingSetting(entry.item)) {
      return true;
    }
  }
  return false;
}

bool ExtensionStates::log_shipping_enabled() const {
  for (const auto& [name, entry] : entries_) {
    if (entry.report.install_state != "Installed") continue;
    for (const ComponentStatus& status : entry.report.statuses) {
      if (status.component == kLogShippingComponent &&
          (status.state == "Installed" || status.state == "Reused")) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace ty::agent
