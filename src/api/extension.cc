#include "api/extension.h"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

constexpr std::array<std::pair<InstallState, std::string_view>, 5> kInstallStates = {{
    {InstallState::kPending, "Pending"},
    {InstallState::kInstalling, "Installing"},
    {InstallState::kInstalled, "Installed"},
    {InstallState::kFailed, "Failed"},
    {InstallState::kDeleting, "Deleting"},
}};

constexpr std::array<std::pair<ComponentState, std::string_view>, 6> kComponentStates = {{
    {ComponentState::kPending, "Pending"},
    {ComponentState::kInstalling, "Installing"},
    {ComponentState::kInstalled, "Installed"},
    {ComponentState::kReused, "Reused"},
    {ComponentState::kSkipped, "Skipped"},
    {ComponentState::kFailed, "Failed"},
}};

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& names,
                        Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "Unknown";
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(const std::array<std::pair<Enum, std::string_view>, N>& names,
                               std::string_view what, std::string_view field,
                               std::string_view text) {
  std::string valid;
  for (const auto& [value, name] : names) {
    if (name == text) return value;
    valid += fmt::format("{}{}", valid.empty() ? "" : ", ", name);
  }
  return InvalidField(field, fmt::format("unknown {} '{}': use one of {}", what, text, valid));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormalizeExtensionType(std::string_view field, std::string_view type) {
  for (std::string_view accepted : {kExtensionType, kCompatibleExtensionType}) {
    if (EqualsIgnoreCase(type, accepted)) return std::string(accepted);
  }
  std::string accepted_list =
      fmt::format("'{}' (or '{}')", kExtensionType, kCompatibleExtensionType);
  if (type.empty()) {
    return InvalidField(field, fmt::format("missing extension type: use {}", accepted_list));
  }
  return InvalidField(field,
                      fmt::format("unsupported extension type '{}': use {}", type, accepted_list));
}

absl::StatusOr<std::string> NormalizeScope(std::string_view field, std::string_view scope) {
  if (scope.empty() || EqualsIgnoreCase(scope, kClusterScope)) {
    return std::string(kClusterScope);
  }
  return InvalidField(field, fmt::format("unsupported scope '{}': the extension is installed "
                                         "cluster-wide, so use '{}'",
                                         scope, kClusterScope));
}

std::string_view InstallStateName(InstallState state) { return NameOf(kInstallStates, state); }

absl::StatusOr<InstallState> ParseInstallState(std::string_view field, std::string_view text) {
  return ParseName(kInstallStates, "install state", field, text);
}

std::string_view ComponentStateName(ComponentState state) {
  return NameOf(kComponentStates, state);
}

absl::StatusOr<ComponentState> ParseComponentState(std::string_view field, std::string_view text) {
  return ParseName(kComponentStates, "component state", field, text);
}

nlohmann::json ComponentStatusToJson(const ComponentStatus& status) {
  return nlohmann::json{{"component", status.component},
                        {"state", ComponentStateName(status.state)},
                        {"message", status.message}};
}

absl::StatusOr<ComponentStatus> ComponentStatusFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidField("", "component status must be a JSON object");

  ComponentStatus status;
  auto component = json.find("component");
  if (component == json.end() || !component->is_string() ||
      component->get_ref<const std::string&>().empty()) {
    return InvalidField("component", "missing component name: give a non-empty string");
  }
  status.component = component->get<std::string>();

  auto state = json.find("state");
  if (state == json.end() || !state->is_string()) {
    return InvalidField("state", "missing component state: give a string such as 'Installed'");
  }
  absl::StatusOr<ComponentState> parsed = ParseComponentState("state", state->get<std::string>());
  if (!parsed.ok()) return parsed.status();
  status.state = *parsed;

  auto message = json.find("message");
  if (message != json.end() && !message->is_null()) {
    if (!message->is_string()) return InvalidField("message", "message must be a string");
    status.message = message->get<std::string>();
  }
  return status;
}

nlohmann::json ComponentStatusesToJson(const std::vector<ComponentStatus>& statuses) {
  nlohmann::json array = nlohmann::json::array();
  for (const ComponentStatus& status : statuses) array.push_back(ComponentStatusToJson(status));
  return array;
}

absl::StatusOr<std::vector<ComponentStatus>> ComponentStatusesFromJson(const nlohmann::json& json) {
  if (!json.is_array()) return InvalidField("statuses", "statuses must be a JSON array");
  std::vector<ComponentStatus> statuses;
  for (size_t i = 0; i < json.size(); ++i) {
    absl::StatusOr<ComponentStatus> status = ComponentStatusFromJson(json[i]);
    if (!status.ok()) {
      return NestFieldError(fmt::format("statuses[{}]", i), status.status());
    }
    statuses.push_back(*std::move(status));
  }
  return statuses;
}

}  // namespace ty::api
