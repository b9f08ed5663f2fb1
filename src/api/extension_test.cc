#include "api/extension.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

using nlohmann::json;

TEST(ExtensionTypeTest, AcceptsBothTypesInAnyCase) {
  EXPECT_EQ(*NormalizeExtensionType("extensionType", "Trainyard.MachineLearning"),
            "Trainyard.MachineLearning");
  EXPECT_EQ(*NormalizeExtensionType("extensionType", "trainyard.machinelearning"),
            "Trainyard.MachineLearning");
  EXPECT_EQ(*NormalizeExtensionType("extensionType", "Microsoft.AzureML.Kubernetes"),
            "Microsoft.AzureML.Kubernetes");
  EXPECT_EQ(*NormalizeExtensionType("extensionType", "microsoft.azureml.kubernetes"),
            "Microsoft.AzureML.Kubernetes");
}

TEST(ExtensionTypeTest, RejectsEmptyAndOtherTypes) {
  absl::StatusOr<std::string> type = NormalizeExtensionType("extensionType", "");
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(type.status()), "extensionType");
  EXPECT_EQ(type.status().message(),
            "extensionType: missing extension type: use 'Trainyard.MachineLearning' (or "
            "'Microsoft.AzureML.Kubernetes')");

  type = NormalizeExtensionType("extensionType", "microsoft.flux");
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(type.status().message(),
            "extensionType: unsupported extension type 'microsoft.flux': use "
            "'Trainyard.MachineLearning' (or 'Microsoft.AzureML.Kubernetes')");
}

TEST(ScopeTest, AcceptsClusterAndDefaultsToIt) {
  EXPECT_EQ(*NormalizeScope("scope", "cluster"), "cluster");
  EXPECT_EQ(*NormalizeScope("scope", "Cluster"), "cluster");
  EXPECT_EQ(*NormalizeScope("scope", ""), "cluster");
}

TEST(ScopeTest, RejectsNamespaceScope) {
  absl::StatusOr<std::string> scope = NormalizeScope("scope", "namespace");
  EXPECT_EQ(scope.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(scope.status()), "scope");
  EXPECT_EQ(scope.status().message(),
            "scope: unsupported scope 'namespace': the extension is installed cluster-wide, so "
            "use 'cluster'");
}

TEST(InstallStateTest, NamesRoundTrip) {
  for (InstallState state : {InstallState::kPending, InstallState::kInstalling,
                             InstallState::kInstalled, InstallState::kFailed,
                             InstallState::kDeleting}) {
    EXPECT_EQ(*ParseInstallState("installState", InstallStateName(state)), state);
  }
  EXPECT_EQ(InstallStateName(InstallState::kInstalled), "Installed");
  absl::StatusOr<InstallState> state = ParseInstallState("installState", "installed");
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(),
            "installState: unknown install state 'installed': use one of Pending, Installing, "
            "Installed, Failed, Deleting");
}

TEST(ComponentStatusTest, JsonRoundTrips) {
  std::vector<ComponentStatus> statuses = {
      {"nvidia-device-plugin", ComponentState::kReused, "already present as DaemonSet x"},
      {"blobfuse-flexvol", ComponentState::kSkipped, ""},
      {"agent", ComponentState::kInstalled, "version 1.0"}};
  json json_statuses = ComponentStatusesToJson(statuses);
  EXPECT_EQ(json_statuses[0],
            (json{{"component", "nvidia-device-plugin"},
                  {"state", "Reused"},
                  {"message", "already present as DaemonSet x"}}));
  absl::StatusOr<std::vector<ComponentStatus>> read = ComponentStatusesFromJson(json_statuses);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, statuses);
}

TEST(ComponentStatusTest, MessageIsOptional) {
  absl::StatusOr<ComponentStatus> status =
      ComponentStatusFromJson({{"component", "agent"}, {"state", "Pending"}});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->message, "");
}

TEST(ComponentStatusTest, RejectsBadEntriesWithIndex) {
  struct Case {
    json entry;
    std::string field;
  };
  const std::vector<Case> kCases = {
      {json::array(), "statuses[1]"},
      {{{"state", "Installed"}}, "statuses[1].component"},
      {{{"component", ""}, {"state", "Installed"}}, "statuses[1].component"},
      {{{"component", "agent"}}, "statuses[1].state"},
      {{{"component", "agent"}, {"state", "Done"}}, "statuses[1].state"},
      {{{"component", "agent"}, {"state", "Failed"}, {"message", 3}}, "statuses[1].message"},
  };
  for (const Case& c : kCases) {
    json list = json::array({{{"component", "a"}, {"state", "Installed"}}, c.entry});
    absl::StatusOr<std::vector<ComponentStatus>> read = ComponentStatusesFromJson(list);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << c.entry;
    EXPECT_EQ(ErrorField(read.status()), c.field) << c.entry;
  }
  EXPECT_EQ(ErrorField(ComponentStatusesFromJson(json::object()).status()), "statuses");
}

}  // namespace
}  // namespace ty::api
