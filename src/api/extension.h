#pragma once

// The extension resource apart from its settings: accepted extension types,
// scope, installation state and per-component status, with their JSON shapes.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::api {

// The extension type of Trainyard's machine-learning extension.
inline constexpr std::string_view kExtensionType = "Trainyard.MachineLearning";
// The cloud product's type name, accepted so that ported scripts run unchanged.
inline constexpr std::string_view kCompatibleExtensionType = "Microsoft.AzureML.Kubernetes";

// The only supported scope.
inline constexpr std::string_view kClusterScope = "cluster";

// Returns the canonical spelling of an accepted extension type (matching
// ignores case): kExtensionType or kCompatibleExtensionType. Errors:
// kInvalidArgument with field `field` for an empty or other type, listing the
// accepted ones.
absl::StatusOr<std::string> NormalizeExtensionType(std::string_view field, std::string_view type);

// Returns "cluster" for "cluster" in any case, and for an empty scope, which
// defaults to cluster. Errors: kInvalidArgument with field `field` for any
// other scope, "namespace" included.
absl::StatusOr<std::string> NormalizeScope(std::string_view field, std::string_view scope);

enum class InstallState { kPending, kInstalling, kInstalled, kFailed, kDeleting };

// "Pending", "Installing", "Installed", "Failed" or "Deleting".
std::string_view InstallStateName(InstallState state);

// Parses the names above exactly. Errors: kInvalidArgument with field `field`.
absl::StatusOr<InstallState> ParseInstallState(std::string_view field, std::string_view text);

// State of one component the extension installs (device plugin, storage
// drivers, agent).
enum class ComponentState {
  kPending,     // not yet reconciled
  kInstalling,  // being applied
  kInstalled,   // installed by the agent
  kReused,      // already present on the cluster, so the agent reuses it
  kSkipped,     // disabled by the settings, so not installed
  kFailed,      // installation failed, and the message gives the reason
};

// "Pending", "Installing", "Installed", "Reused", "Skipped" or "Failed".
std::string_view ComponentStateName(ComponentState state);

// Parses the names above exactly. Errors: kInvalidArgument with field `field`.
absl::StatusOr<ComponentState> ParseComponentState(std::string_view field, std::string_view text);

// One entry of the extension's `statuses` list.
struct ComponentStatus {
  std::string component;
  ComponentState state = ComponentState::kPending;
  std::string message;

  bool operator==(const ComponentStatus&) const = default;
};

// {"component": "...", "state": "Installed", "message": "..."}.
nlohmann::json ComponentStatusToJson(const ComponentStatus& status);

// Reads the shape above; "message" may be absent. Errors: kInvalidArgument
// with the field at fault ("component", "state" or "message").
absl::StatusOr<ComponentStatus> ComponentStatusFromJson(const nlohmann::json& json);

// Maps a list to and from a JSON array. Errors of an entry are reported under
// the field "statuses[<index>]".
nlohmann::json ComponentStatusesToJson(const std::vector<ComponentStatus>& statuses);
absl::StatusOr<std::vector<ComponentStatus>> ComponentStatusesFromJson(const nlohmann::json& json);

}  // namespace ty::api
