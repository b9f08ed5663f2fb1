#include "api/extension_settings.h"

#include <nlohmann/json.hpp>

namespace ty::api {

const std::vector<std::string>& SettingKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      std::string(kEnableTraining),         std::string(kRelayConnectionString),
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

// Skeleton: implementations follow in the next commit.
absl::StatusOr<ExtensionSettings> NormalizeSettings(const nlohmann::json&, const nlohmann::json&) {
  return absl::UnimplementedError("NormalizeSettings");
}
absl::StatusOr<ExtensionSettings> MergeSettings(const ExtensionSettings&, const nlohmann::json&,
                                                const nlohmann::json&) {
  return absl::UnimplementedError("MergeSettings");
}
nlohmann::json PublicSettingsToJson(const ExtensionSettings&) { return nlohmann::json::object(); }
nlohmann::json ProtectedSettingKeysToJson(const ExtensionSettings&) {
  return nlohmann::json::array();
}
nlohmann::json SettingsToStorageJson(const ExtensionSettings&) { return nlohmann::json::object(); }
absl::StatusOr<ExtensionSettings> SettingsFromStorageJson(const nlohmann::json&) {
  return absl::UnimplementedError("SettingsFromStorageJson");
}

}  // namespace ty::api
