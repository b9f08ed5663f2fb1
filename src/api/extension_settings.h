#pragma once

// Configuration settings of the machine-learning extension: the fixed table of
// keys and defaults, validation and normalisation of user input, key-by-key
// merge for updates, and the JSON shapes for storage and API output.
//
// | key                          | default                                  | kind    |
// | ---------------------------- | ---------------------------------------- | ------- |
// | enableTraining               | False                                    | boolean |
// | relayConnectionString        | unset                                    | secret  |
// | serviceBusConnectionString   | unset                                    | secret  |
// | logAnalyticsWS               | False                                    | boolean |
// | installNvidiaDevicePlugin    | True                                     | boolean |
// | installBlobfuseSysctl        | True if enableTraining is True, or False | boolean |
// | installBlobfuseFlexvol       | True if enableTraining is True, or False | boolean |
// | volumePluginDir              | /etc/kubernetes/volumeplugins            | path    |
//
// Public settings (`configurationSettings`) may hold every key except the two
// secrets. Protected settings (`configurationProtectedSettings`) may hold only
// the secrets: their values are stored and used but never returned by a read.
//
// Error fields are "configurationSettings.<key>" and
// "configurationProtectedSettings.<key>". Errors about a secret never quote
// its value.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::api {

inline constexpr std::string_view kEnableTraining = "enableTraining";
inline constexpr std::string_view kRelayConnectionString = "relayConnectionString";
inline constexpr std::string_view kServiceBusConnectionString = "serviceBusConnectionString";
inline constexpr std::string_view kLogAnalyticsWs = "logAnalyticsWS";
inline constexpr std::string_view kInstallNvidiaDevicePlugin = "installNvidiaDevicePlugin";
inline constexpr std::string_view kInstallBlobfuseSysctl = "installBlobfuseSysctl";
inline constexpr std::string_view kInstallBlobfuseFlexvol = "installBlobfuseFlexvol";
inline constexpr std::string_view kVolumePluginDir = "volumePluginDir";

inline constexpr std::string_view kDefaultVolumePluginDir = "/etc/kubernetes/volumeplugins";

// JSON object names of the two setting groups, in API bodies and error fields.
inline constexpr std::string_view kPublicSettingsField = "configurationSettings";
inline constexpr std::string_view kProtectedSettingsField = "configurationProtectedSettings";

// Every key of the table, in table order.
const std::vector<std::string>& SettingKeys();

// The keys allowed in protected settings: relayConnectionString and
// serviceBusConnectionString.
const std::vector<std::string>& ProtectedSettingKeys();

// The effective settings of one extension: every key has a value (its default
// unless the user set it), except the secrets, which are unset by default.
struct ExtensionSettings {
  bool enable_training = false;
  bool log_analytics_ws = false;
  bool install_nvidia_device_plugin = true;
  bool install_blobfuse_sysctl = false;
  bool install_blobfuse_flexvol = false;
  std::string volume_plugin_dir = std::string(kDefaultVolumePluginDir);
  std::optional<std::string> relay_connection_string;
  std::optional<std::string> service_bus_connection_string;

  // Keys the user set, public or protected. The other keys hold defaults,
  // which MergeSettings recomputes.
  std::set<std::string> explicit_keys;

  bool operator==(const ExtensionSettings&) const = default;
};

// Validates user input and returns the effective settings. Both arguments are
// JSON objects (null counts as empty) mapping keys to JSON strings or
// booleans. Booleans accept JSON true/false and the strings true, True, TRUE,
// false, False and FALSE. Defaults fill every key not given.
//
// A JSON null value leaves its key unset. Protected values must be strings.
//
// Errors, all kInvalidArgument with the field of the offending key:
//  - an argument that is not an object;
//  - an unknown key (the message suggests the closest valid key);
//  - a value that is not a string or boolean, or is empty;
//  - a malformed boolean such as "yes" (the message asks for True or False);
//  - a secret given as a public setting (the message points to
//    --configuration-protected-settings);
//  - a non-secret key given as a protected setting;
//  - a connection string not shaped "Endpoint=<url>;<name>=<value>[;...]";
//  - a volumePluginDir that is not an absolute path.
absl::StatusOr<ExtensionSettings> NormalizeSettings(const nlohmann::json& public_settings,
                                                    const nlohmann::json& protected_settings);

// Applies an update to `existing` key by key: keys in the patches replace
// those in `existing`, a JSON null resets a key to its default, and keys not
// named keep their value. Defaults are recomputed afterwards, so turning
// enableTraining on turns the blobfuse components on unless they were set
// explicitly. The patches are validated as in NormalizeSettings, with the same
// errors.
absl::StatusOr<ExtensionSettings> MergeSettings(const ExtensionSettings& existing,
                                                const nlohmann::json& patch_public,
                                                const nlohmann::json& patch_protected);

// Returns the public settings for API output: every non-secret key, booleans
// as "True"/"False", e.g. {"enableTraining": "True", ...}.
nlohmann::json PublicSettingsToJson(const ExtensionSettings& settings);

// Returns the names of the secrets that are set, as a JSON array; their
// values are never part of API output.
nlohmann::json ProtectedSettingKeysToJson(const ExtensionSettings& settings);

// Returns the full settings for the store, secrets included:
// {"configurationSettings": {...}, "configurationProtectedSettings": {...},
//  "explicitKeys": [...]}.
nlohmann::json SettingsToStorageJson(const ExtensionSettings& settings);

// Reads what SettingsToStorageJson wrote. Errors: kInvalidArgument (field
// named after the bad part) when `stored` does not have that shape.
absl::StatusOr<ExtensionSettings> SettingsFromStorageJson(const nlohmann::json& stored);

// Formats a boolean setting as "True" or "False".
std::string_view FormatSettingBool(bool value);

}  // namespace ty::api
