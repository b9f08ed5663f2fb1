#include "api/extension_settings.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

using nlohmann::json;

constexpr char kRelay[] = "Endpoint=sb://relay.example.com/;SharedAccessKeyName=agent;"
                          "SharedAccessKey=c2VjcmV0PQ==";

ExtensionSettings MustNormalize(const json& public_settings, const json& protected_settings) {
  absl::StatusOr<ExtensionSettings> settings = NormalizeSettings(public_settings, protected_settings);
  EXPECT_TRUE(settings.ok()) << settings.status();
  return settings.ok() ? *settings : ExtensionSettings{};
}

TEST(NormalizeSettingsTest, EmptyInputGivesDefaults) {
  for (const json& empty : {json(nullptr), json::object()}) {
    ExtensionSettings settings = MustNormalize(empty, empty);
    EXPECT_FALSE(settings.enable_training);
    EXPECT_FALSE(settings.log_analytics_ws);
    EXPECT_TRUE(settings.install_nvidia_device_plugin);
    EXPECT_FALSE(settings.install_blobfuse_sysctl);
    EXPECT_FALSE(settings.install_blobfuse_flexvol);
    EXPECT_EQ(settings.volume_plugin_dir, "/etc/kubernetes/volumeplugins");
    EXPECT_FALSE(settings.relay_connection_string.has_value());
    EXPECT_FALSE(settings.service_bus_connection_string.has_value());
    EXPECT_TRUE(settings.explicit_keys.empty());
  }
}

TEST(NormalizeSettingsTest, AcceptsEveryBooleanSpelling) {
  for (const json& value : {json("true"), json("True"), json("TRUE"), json(true)}) {
    EXPECT_TRUE(MustNormalize({{"enableTraining", value}}, nullptr).enable_training) << value;
  }
  for (const json& value : {json("false"), json("False"), json("FALSE"), json(false)}) {
    EXPECT_FALSE(MustNormalize({{"installNvidiaDevicePlugin", value}}, nullptr)
                     .install_nvidia_device_plugin)
        << value;
  }
}

// Verifies that strings and JSON booleans store identical settings, so that
// the API and the CLI agree.
TEST(NormalizeSettingsTest, StringsAndJsonBooleansAgree) {
  ExtensionSettings from_strings =
      MustNormalize({{"enableTraining", "True"}, {"logAnalyticsWS", "false"}}, nullptr);
  ExtensionSettings from_booleans =
      MustNormalize({{"enableTraining", true}, {"logAnalyticsWS", false}}, nullptr);
  EXPECT_EQ(from_strings, from_booleans);
  EXPECT_EQ(PublicSettingsToJson(from_strings), PublicSettingsToJson(from_booleans));
}

TEST(NormalizeSettingsTest, BlobfuseDefaultsFollowTraining) {
  ExtensionSettings training = MustNormalize({{"enableTraining", "True"}}, nullptr);
  EXPECT_TRUE(training.install_blobfuse_sysctl);
  EXPECT_TRUE(training.install_blobfuse_flexvol);

  ExtensionSettings explicit_off = MustNormalize(
      {{"enableTraining", "True"}, {"installBlobfuseFlexvol", "False"}}, nullptr);
  EXPECT_TRUE(explicit_off.install_blobfuse_sysctl);
  EXPECT_FALSE(explicit_off.install_blobfuse_flexvol);

  ExtensionSettings explicit_on = MustNormalize({{"installBlobfuseSysctl", "True"}}, nullptr);
  EXPECT_TRUE(explicit_on.install_blobfuse_sysctl);
  EXPECT_FALSE(explicit_on.install_blobfuse_flexvol);
}

TEST(NormalizeSettingsTest, RecordsExplicitKeys) {
  ExtensionSettings settings = MustNormalize(
      {{"enableTraining", "True"}, {"volumePluginDir", "/var/lib/kubelet/volumeplugins"}},
      {{"relayConnectionString", kRelay}});
  EXPECT_EQ(settings.explicit_keys,
            (std::set<std::string>{"enableTraining", "relayConnectionString", "volumePluginDir"}));
  EXPECT_EQ(settings.volume_plugin_dir, "/var/lib/kubelet/volumeplugins");
  EXPECT_EQ(settings.relay_connection_string, kRelay);
}

struct BadSetting {
  json public_settings;
  json protected_settings;
  std::string field;
  std::string message;
};

TEST(NormalizeSettingsTest, RejectsBadInput) {
  const std::vector<BadSetting> kCases = {
      {{{"enableTraining", "yes"}}, nullptr, "configurationSettings.enableTraining",
       "configurationSettings.enableTraining: invalid boolean 'yes': use True or False"},
      {{{"enableTraining", "yes please"}}, nullptr, "configurationSettings.enableTraining",
       "configurationSettings.enableTraining: invalid boolean 'yes please': use True or False"},
      {{{"enableTraining", ""}}, nullptr, "configurationSettings.enableTraining",
       "configurationSettings.enableTraining: empty value: use True or False"},
      {{{"logAnalyticsWS", 1}}, nullptr, "configurationSettings.logAnalyticsWS",
       "configurationSettings.logAnalyticsWS: invalid boolean 1: use True or False"},
      {{{"logAnalyticsWS", json::array()}}, nullptr, "configurationSettings.logAnalyticsWS",
       "configurationSettings.logAnalyticsWS: invalid boolean []: use True or False"},
      {{{"enableTrainning", "True"}}, nullptr, "configurationSettings.enableTrainning",
       "configurationSettings.enableTrainning: unknown setting 'enableTrainning': did you mean "
       "'enableTraining'?"},
      {{{"enabletraining", "True"}}, nullptr, "configurationSettings.enabletraining",
       "configurationSettings.enabletraining: unknown setting 'enabletraining': did you mean "
       "'enableTraining'?"},
      {{{"volumePluginDir", ""}}, nullptr, "configurationSettings.volumePluginDir",
       "configurationSettings.volumePluginDir: empty value: give an absolute path such as "
       "'/etc/kubernetes/volumeplugins'"},
      {{{"volumePluginDir", "var/lib"}}, nullptr, "configurationSettings.volumePluginDir",
       "configurationSettings.volumePluginDir: invalid path 'var/lib': give an absolute path "
       "such as '/etc/kubernetes/volumeplugins'"},
      {{{"volumePluginDir", true}}, nullptr, "configurationSettings.volumePluginDir", ""},
      {json::array(), nullptr, "configurationSettings", ""},
      {"enableTraining=True", nullptr, "configurationSettings", ""},
      {nullptr, json::array(), "configurationProtectedSettings", ""},
      {nullptr, {{"enableTraining", "True"}}, "configurationProtectedSettings.enableTraining",
       "configurationProtectedSettings.enableTraining: 'enableTraining' is not a secret: pass it "
       "in configurationSettings (CLI: --configuration-settings)"},
      {nullptr, {{"relayConectionString", kRelay}},
       "configurationProtectedSettings.relayConectionString",
       "configurationProtectedSettings.relayConectionString: unknown setting "
       "'relayConectionString': did you mean 'relayConnectionString'?"},
      {nullptr, {{"relayConnectionString", true}},
       "configurationProtectedSettings.relayConnectionString", ""},
  };
  for (const BadSetting& c : kCases) {
    absl::StatusOr<ExtensionSettings> settings =
        NormalizeSettings(c.public_settings, c.protected_settings);
    EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument) << c.public_settings;
    EXPECT_EQ(ErrorField(settings.status()), c.field) << c.public_settings;
    if (!c.message.empty()) {
      EXPECT_EQ(settings.status().message(), c.message);
    }
  }
}

TEST(NormalizeSettingsTest, UnrelatedUnknownKeyListsValidKeys) {
  absl::StatusOr<ExtensionSettings> settings =
      NormalizeSettings({{"clusterPurpose", "DevTest"}}, nullptr);
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(settings.status().message(),
            "configurationSettings.clusterPurpose: unknown setting 'clusterPurpose': valid "
            "settings are enableTraining, relayConnectionString, serviceBusConnectionString, "
            "logAnalyticsWS, installNvidiaDevicePlugin, installBlobfuseSysctl, "
            "installBlobfuseFlexvol, volumePluginDir");
}

// Verifies that a secret given as a public setting is rejected without
// echoing it.
TEST(NormalizeSettingsTest, SecretAsPublicSettingRejected) {
  for (std::string key : {"relayConnectionString", "serviceBusConnectionString"}) {
    absl::StatusOr<ExtensionSettings> settings = NormalizeSettings({{key, kRelay}}, nullptr);
    EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorField(settings.status()), "configurationSettings." + key);
    EXPECT_NE(settings.status().message().find("--configuration-protected-settings"),
              std::string::npos);
    EXPECT_EQ(settings.status().message().find("SharedAccessKey"), std::string::npos);
  }
}

TEST(NormalizeSettingsTest, ValidatesConnectionStringShape) {
  for (std::string good : {std::string(kRelay), std::string("Endpoint=https://x;Credential=ab;"),
                           std::string("Endpoint=sb://x/;SharedAccessKey=a==")}) {
    EXPECT_TRUE(NormalizeSettings(nullptr, {{"serviceBusConnectionString", good}}).ok()) << good;
  }
  for (std::string bad : {"", "secret-token", "Endpoint=sb://x/", "Endpoint=;Key=abc",
                          "SharedAccessKey=abc;Other=1", "Endpoint=sb://x/;;Key=1",
                          "Endpoint=sb://x/;=abc"}) {
    absl::StatusOr<ExtensionSettings> settings =
        NormalizeSettings(nullptr, {{"serviceBusConnectionString", bad}});
    EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ErrorField(settings.status()),
              "configurationProtectedSettings.serviceBusConnectionString");
    EXPECT_NE(settings.status().message().find("Endpoint=<url>;<name>=<value>"),
              std::string::npos);
    if (!bad.empty()) {
      EXPECT_EQ(settings.status().message().find(bad), std::string::npos) << bad;
    }
  }
}

TEST(MergeSettingsTest, EnablingTrainingTurnsOnBlobfuseDefaults) {
  ExtensionSettings existing = MustNormalize({{"installBlobfuseSysctl", "False"}}, nullptr);
  absl::StatusOr<ExtensionSettings> merged =
      MergeSettings(existing, {{"enableTraining", true}}, nullptr);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_TRUE(merged->enable_training);
  EXPECT_FALSE(merged->install_blobfuse_sysctl);
  EXPECT_TRUE(merged->install_blobfuse_flexvol);
  EXPECT_EQ(merged->explicit_keys,
            (std::set<std::string>{"enableTraining", "installBlobfuseSysctl"}));
}

TEST(MergeSettingsTest, KeepsUnnamedKeysAndResetsNulls) {
  ExtensionSettings existing =
      MustNormalize({{"enableTraining", "True"}, {"volumePluginDir", "/opt/plugins"}},
                    {{"relayConnectionString", kRelay}});
  absl::StatusOr<ExtensionSettings> merged =
      MergeSettings(existing, {{"enableTraining", nullptr}, {"logAnalyticsWS", "TRUE"}},
                    {{"relayConnectionString", nullptr}});
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_FALSE(merged->enable_training);
  EXPECT_FALSE(merged->install_blobfuse_sysctl);
  EXPECT_TRUE(merged->log_analytics_ws);
  EXPECT_EQ(merged->volume_plugin_dir, "/opt/plugins");
  EXPECT_FALSE(merged->relay_connection_string.has_value());
  EXPECT_EQ(merged->explicit_keys, (std::set<std::string>{"logAnalyticsWS", "volumePluginDir"}));
}

TEST(MergeSettingsTest, ValidatesPatch) {
  ExtensionSettings existing = MustNormalize({{"enableTraining", "True"}}, nullptr);
  absl::StatusOr<ExtensionSettings> merged =
      MergeSettings(existing, {{"enableTraining", "maybe"}}, nullptr);
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(merged.status()), "configurationSettings.enableTraining");

  merged = MergeSettings(existing, {{"relayConnectionString", nullptr}}, nullptr);
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(merged.status()), "configurationSettings.relayConnectionString");

  merged = MergeSettings(existing, {{"unknownKey", nullptr}}, nullptr);
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(merged.status()), "configurationSettings.unknownKey");
}

TEST(SettingsJsonTest, PublicOutputHasEveryKeyAndNoSecrets) {
  ExtensionSettings settings =
      MustNormalize({{"enableTraining", true}}, {{"relayConnectionString", kRelay}});
  json expected = {{"enableTraining", "True"},
                   {"logAnalyticsWS", "False"},
                   {"installNvidiaDevicePlugin", "True"},
                   {"installBlobfuseSysctl", "True"},
                   {"installBlobfuseFlexvol", "True"},
                   {"volumePluginDir", "/etc/kubernetes/volumeplugins"}};
  EXPECT_EQ(PublicSettingsToJson(settings), expected);
  EXPECT_EQ(ProtectedSettingKeysToJson(settings), json::array({"relayConnectionString"}));
  EXPECT_EQ(ProtectedSettingKeysToJson(MustNormalize(nullptr, nullptr)), json::array());
}

TEST(SettingsJsonTest, StorageRoundTrips) {
  ExtensionSettings settings = MustNormalize(
      {{"enableTraining", true}, {"installBlobfuseFlexvol", "False"}},
      {{"relayConnectionString", kRelay}, {"serviceBusConnectionString", kRelay}});
  json stored = SettingsToStorageJson(settings);
  EXPECT_EQ(stored["configurationProtectedSettings"]["relayConnectionString"], kRelay);
  EXPECT_EQ(stored["explicitKeys"],
            json::array({"enableTraining", "installBlobfuseFlexvol", "relayConnectionString",
                         "serviceBusConnectionString"}));

  absl::StatusOr<ExtensionSettings> read = SettingsFromStorageJson(json::parse(stored.dump()));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, settings);
}

TEST(SettingsJsonTest, StorageRejectsBadShapes) {
  EXPECT_EQ(SettingsFromStorageJson(json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ExtensionSettings> read =
      SettingsFromStorageJson({{"explicitKeys", {"enableTraining"}},
                               {"configurationSettings", json::object()}});
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(read.status()), "configurationSettings.enableTraining");
  read = SettingsFromStorageJson({{"explicitKeys", "enableTraining"}});
  EXPECT_EQ(ErrorField(read.status()), "explicitKeys");
}

TEST(SettingKeysTest, ListsTableInOrder) {
  EXPECT_EQ(SettingKeys(),
            (std::vector<std::string>{"enableTraining", "relayConnectionString",
                                      "serviceBusConnectionString", "logAnalyticsWS",
                                      "installNvidiaDevicePlugin", "installBlobfuseSysctl",
                                      "installBlobfuseFlexvol", "volumePluginDir"}));
  EXPECT_EQ(ProtectedSettingKeys(),
            (std::vector<std::string>{"relayConnectionString", "serviceBusConnectionString"}));
}

}  // namespace
}  // namespace ty::api
