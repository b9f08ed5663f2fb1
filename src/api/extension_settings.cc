#include "api/extension_settings.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace ty::api {
namespace {

// The settings the user set, each value already normalised ("True", "False",
// a path or a connection string). Defaults are derived from it by Resolve.
struct ExplicitSettings {
  std::map<std::string, std::string> public_values;
  std::map<std::string, std::string> protected_values;
};

bool IsKnownKey(std::string_view key) {
  const std::vector<std::string>& keys = SettingKeys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool IsProtectedKey(std::string_view key) {
  const std::vector<std::string>& keys = ProtectedSettingKeys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool IsBooleanKey(std::string_view key) {
  return key == kEnableTraining || key == kLogAnalyticsWs || key == kInstallNvidiaDevicePlugin ||
         key == kInstallBlobfuseSysctl || key == kInstallBlobfuseFlexvol;
}

std::string FieldOf(std::string_view group, std::string_view key) {
  return fmt::format("{}.{}", group, key);
}

absl::Status UnknownKeyError(std::string_view group, std::string_view key) {
  std::optional<std::string> closest = ClosestMatch(key, SettingKeys());
  if (closest) {
    return InvalidField(FieldOf(group, key),
                        fmt::format("unknown setting '{}': did you mean '{}'?", key, *closest));
  }
  return InvalidField(FieldOf(group, key),
                      fmt::format("unknown setting '{}': valid settings are {}", key,
                                  fmt::join(SettingKeys(), ", ")));
}

absl::StatusOr<std::string> NormalizeBoolean(std::string_view field, const nlohmann::json& value) {
  if (value.is_boolean()) return std::string(FormatSettingBool(value.get<bool>()));
  if (!value.is_string()) {
    return InvalidField(field, fmt::format("invalid boolean {}: use True or False",
                                           value.dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace)));
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty()) return InvalidField(field, "empty value: use True or False");
  if (text == "true" || text == "True" || text == "TRUE") return std::string("True");
  if (text == "false" || text == "False" || text == "FALSE") return std::string("False");
  return InvalidField(field, fmt::format("invalid boolean '{}': use True or False", text));
}

absl::StatusOr<std::string> NormalizePath(std::string_view field, const nlohmann::json& value) {
  if (!value.is_string()) {
    return InvalidField(field, "invalid value: give an absolute path as a string, such as '" +
                                   std::string(kDefaultVolumePluginDir) + "'");
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty()) {
    return InvalidField(field, fmt::format("empty value: give an absolute path such as '{}'",
                                           kDefaultVolumePluginDir));
  }
  if (text.front() != '/' || text.find('\0') != std::string::npos) {
    return InvalidField(field, fmt::format("invalid path '{}': give an absolute path such as '{}'",
                                           text, kDefaultVolumePluginDir));
  }
  return text;
}

// Checks the shape "Endpoint=<url>;<name>=<value>[;...]". Messages never
// include the value, because it contains a credential.
absl::StatusOr<std::string> NormalizeConnectionString(std::string_view field,
                                                      const nlohmann::json& value) {
  constexpr std::string_view kShape =
      "use the form 'Endpoint=<url>;<name>=<value>[;...]' (the value is not shown because it is "
      "a secret)";
  if (!value.is_string()) {
    return InvalidField(field, fmt::format("invalid connection string: {}", kShape));
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty()) return InvalidField(field, fmt::format("empty value: {}", kShape));

  std::string_view rest = text;
  if (rest.back() == ';') rest.remove_suffix(1);
  int parts = 0;
  bool has_endpoint = false;
  while (true) {
    size_t end = rest.find(';');
    std::string_view part = rest.substr(0, end);
    ++parts;
    size_t equals = part.find('=');
    if (equals == 0 || equals == std::string_view::npos) {
      return InvalidField(field, fmt::format("invalid connection string: part {} is not "
                                             "'<name>=<value>': {}",
                                             parts, kShape));
    }
    std::string_view name = part.substr(0, equals);
    if (name == "Endpoint" && equals + 1 < part.size()) has_endpoint = true;
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  if (!has_endpoint) {
    return InvalidField(field, fmt::format("invalid connection string: no 'Endpoint=<url>' part: {}",
                                           kShape));
  }
  if (parts < 2) {
    return InvalidField(field, fmt::format("invalid connection string: no credential after the "
                                           "endpoint: {}",
                                           kShape));
  }
  return text;
}

absl::Status CheckPublicKey(const std::string& key) {
  if (!IsKnownKey(key)) return UnknownKeyError(kPublicSettingsField, key);
  if (IsProtectedKey(key)) {
    return InvalidField(FieldOf(kPublicSettingsField, key),
                        fmt::format("'{}' is a secret: pass it in {} "
                                    "(CLI: --configuration-protected-settings) so that it is "
                                    "never shown",
                                    key, kProtectedSettingsField));
  }
  return absl::OkStatus();
}

absl::Status CheckProtectedKey(const std::string& key) {
  if (!IsKnownKey(key)) return UnknownKeyError(kProtectedSettingsField, key);
  if (!IsProtectedKey(key)) {
    return InvalidField(FieldOf(kProtectedSettingsField, key),
                        fmt::format("'{}' is not a secret: pass it in {} "
                                    "(CLI: --configuration-settings)",
                                    key, kPublicSettingsField));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizePublicValue(const std::string& key,
                                                 const nlohmann::json& value) {
  std::string field = FieldOf(kPublicSettingsField, key);
  if (IsBooleanKey(key)) return NormalizeBoolean(field, value);
  return NormalizePath(field, value);
}

absl::StatusOr<std::string> NormalizeProtectedValue(const std::string& key,
                                                    const nlohmann::json& value) {
  return NormalizeConnectionString(FieldOf(kProtectedSettingsField, key), value);
}

absl::Status CheckObject(std::string_view group, const nlohmann::json& settings) {
  if (settings.is_null() || settings.is_object()) return absl::OkStatus();
  return InvalidField(group, fmt::format("{} must be a JSON object of key-value pairs, such as "
                                         "{{\"enableTraining\": \"True\"}}",
                                         group));
}

// Applies `patch` to `values`: a null removes the key, anything else is
// normalised and stored. Every key is checked, nulls included.
template <typename CheckKey, typename Normalize>
absl::Status ApplyPatch(const nlohmann::json& patch, CheckKey check_key, Normalize normalize,
                        std::map<std::string, std::string>& values) {
  if (patch.is_null()) return absl::OkStatus();
  for (const auto& [key, value] : patch.items()) {
    RETURN_IF_ERROR(check_key(key));
    if (value.is_null()) {
      values.erase(key);
      continue;
    }
    ASSIGN_OR_RETURN(values[key], normalize(key, value));
  }
  return absl::OkStatus();
}

std::optional<bool> ExplicitBool(const ExplicitSettings& settings, std::string_view key) {
  auto it = settings.public_values.find(std::string(key));
  if (it == settings.public_values.end()) return std::nullopt;
  return it->second == "True";
}

ExtensionSettings Resolve(const ExplicitSettings& explicit_settings) {
  ExtensionSettings settings;
  settings.enable_training = ExplicitBool(explicit_settings, kEnableTraining).value_or(false);
  settings.log_analytics_ws = ExplicitBool(explicit_settings, kLogAnalyticsWs).value_or(false);
  settings.install_nvidia_device_plugin =
      ExplicitBool(explicit_settings, kInstallNvidiaDevicePlugin).value_or(true);
  // The storage drivers serve training jobs only, so they follow enableTraining
  // unless set explicitly.
  settings.install_blobfuse_sysctl =
      ExplicitBool(explicit_settings, kInstallBlobfuseSysctl).value_or(settings.enable_training);
  settings.install_blobfuse_flexvol =
      ExplicitBool(explicit_settings, kInstallBlobfuseFlexvol).value_or(settings.enable_training);
  auto dir = explicit_settings.public_values.find(std::string(kVolumePluginDir));
  if (dir != explicit_settings.public_values.end()) settings.volume_plugin_dir = dir->second;

  auto relay = explicit_settings.protected_values.find(std::string(kRelayConnectionString));
  if (relay != explicit_settings.protected_values.end()) {
    settings.relay_connection_string = relay->second;
  }
  auto bus = explicit_settings.protected_values.find(std::string(kServiceBusConnectionString));
  if (bus != explicit_settings.protected_values.end()) {
    settings.service_bus_connection_string = bus->second;
  }

  for (const auto& [key, value] : explicit_settings.public_values) {
    settings.explicit_keys.insert(key);
  }
  for (const auto& [key, value] : explicit_settings.protected_values) {
    settings.explicit_keys.insert(key);
  }
  return settings;
}

// The normalised value of a public key, as PublicSettingsToJson shows it.
std::string PublicValue(const ExtensionSettings& settings, std::string_view key) {
  if (key == kEnableTraining) return std::string(FormatSettingBool(settings.enable_training));
  if (key == kLogAnalyticsWs) return std::string(FormatSettingBool(settings.log_analytics_ws));
  if (key == kInstallNvidiaDevicePlugin) {
    return std::string(FormatSettingBool(settings.install_nvidia_device_plugin));
  }
  if (key == kInstallBlobfuseSysctl) {
    return std::string(FormatSettingBool(settings.install_blobfuse_sysctl));
  }
  if (key == kInstallBlobfuseFlexvol) {
    return std::string(FormatSettingBool(settings.install_blobfuse_flexvol));
  }
  return settings.volume_plugin_dir;
}

std::map<std::string, std::string> ProtectedValues(const ExtensionSettings& settings) {
  std::map<std::string, std::string> values;
  if (settings.relay_connection_string) {
    values[std::string(kRelayConnectionString)] = *settings.relay_connection_string;
  }
  if (settings.service_bus_connection_string) {
    values[std::string(kServiceBusConnectionString)] = *settings.service_bus_connection_string;
  }
  return values;
}

ExplicitSettings ExplicitOf(const ExtensionSettings& settings) {
  ExplicitSettings explicit_settings;
  std::map<std::string, std::string> protected_values = ProtectedValues(settings);
  for (const std::string& key : settings.explicit_keys) {
    if (IsProtectedKey(key)) {
      auto it = protected_values.find(key);
      if (it != protected_values.end()) explicit_settings.protected_values[key] = it->second;
    } else if (IsKnownKey(key)) {
      explicit_settings.public_values[key] = PublicValue(settings, key);
    }
  }
  return explicit_settings;
}

}  // namespace

const std::vector<std::string>& SettingKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      std::string(kEnableTraining),             std::string(kRelayConnectionString),
      std::string(kServiceBusConnectionString), std::string(kLogAnalyticsWs),
      std::string(kInstallNvidiaDevicePlugin),  std::string(kInstallBlobfuseSysctl),
      std::string(kInstallBlobfuseFlexvol),     std::string(kVolumePluginDir)};
  return *kKeys;
}

const std::vector<std::string>& ProtectedSettingKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      std::string(kRelayConnectionString), std::string(kServiceBusConnectionString)};
  return *kKeys;
}

std::string_view FormatSettingBool(bool value) { return value ? "True" : "False"; }

absl::StatusOr<ExtensionSettings> NormalizeSettings(const nlohmann::json& public_settings,
                                                    const nlohmann::json& protected_settings) {
  return MergeSettings(ExtensionSettings{}, public_settings, protected_settings);
}

absl::StatusOr<ExtensionSettings> MergeSettings(const ExtensionSettings& existing,
                                                const nlohmann::json& patch_public,
                                                const nlohmann::json& patch_protected) {
  RETURN_IF_ERROR(CheckObject(kPublicSettingsField, patch_public));
  RETURN_IF_ERROR(CheckObject(kProtectedSettingsField, patch_protected));

  ExplicitSettings explicit_settings = ExplicitOf(existing);
  RETURN_IF_ERROR(ApplyPatch(patch_public, CheckPublicKey, NormalizePublicValue,
                             explicit_settings.public_values));
  RETURN_IF_ERROR(ApplyPatch(patch_protected, CheckProtectedKey, NormalizeProtectedValue,
                             explicit_settings.protected_values));
  return Resolve(explicit_settings);
}

nlohmann::json PublicSettingsToJson(const ExtensionSettings& settings) {
  nlohmann::json json = nlohmann::json::object();
  for (const std::string& key : SettingKeys()) {
    if (!IsProtectedKey(key)) json[key] = PublicValue(settings, key);
  }
  return json;
}

nlohmann::json ProtectedSettingKeysToJson(const ExtensionSettings& settings) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [key, value] : ProtectedValues(settings)) keys.push_back(key);
  return keys;
}

nlohmann::json SettingsToStorageJson(const ExtensionSettings& settings) {
  nlohmann::json protected_json = nlohmann::json::object();
  for (const auto& [key, value] : ProtectedValues(settings)) protected_json[key] = value;
  nlohmann::json explicit_keys = nlohmann::json::array();
  for (const std::string& key : settings.explicit_keys) explicit_keys.push_back(key);
  return nlohmann::json{{std::string(kPublicSettingsField), PublicSettingsToJson(settings)},
                        {std::string(kProtectedSettingsField), std::move(protected_json)},
                        {"explicitKeys", std::move(explicit_keys)}};
}

absl::StatusOr<ExtensionSettings> SettingsFromStorageJson(const nlohmann::json& stored) {
  if (!stored.is_object()) return InvalidField("", "stored settings must be a JSON object");
  nlohmann::json public_settings = stored.value(kPublicSettingsField, nlohmann::json::object());
  nlohmann::json protected_settings =
      stored.value(kProtectedSettingsField, nlohmann::json::object());
  nlohmann::json explicit_keys = stored.value("explicitKeys", nlohmann::json::array());
  RETURN_IF_ERROR(CheckObject(kPublicSettingsField, public_settings));
  RETURN_IF_ERROR(CheckObject(kProtectedSettingsField, protected_settings));
  if (!explicit_keys.is_array()) {
    return InvalidField("explicitKeys", "explicitKeys must be a JSON array of setting names");
  }

  // Only the explicit keys are read back. Defaults are recomputed so that
  // they follow the current rules.
  nlohmann::json explicit_public = nlohmann::json::object();
  for (const nlohmann::json& key : explicit_keys) {
    if (!key.is_string()) {
      return InvalidField("explicitKeys", "explicitKeys must be a JSON array of setting names");
    }
    const std::string& name = key.get_ref<const std::string&>();
    if (IsProtectedKey(name)) continue;
    auto value = public_settings.find(name);
    if (value == public_settings.end()) {
      return InvalidField(FieldOf(kPublicSettingsField, name),
                          fmt::format("explicit setting '{}' has no stored value", name));
    }
    explicit_public[name] = *value;
  }
  return NormalizeSettings(explicit_public, protected_settings);
}

}  // namespace ty::api
