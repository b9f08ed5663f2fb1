// End-to-end tests of ExtensionInstaller against the test API server.

#include "executors/kubernetes/extension_installer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/executor_test_fixture.h"

namespace ty::executors::kubernetes::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr char kDaemonSets[] = "/apis/apps/v1/namespaces/";

json Item(json settings, bool deleting = false) {
  return {{"name", "trainyard"}, {"settings", settings}, {"deleting", deleting}};
}

const agent::ComponentStatus* Find(const agent::ExtensionReport& report,
                                   const std::string& component) {
  for (const agent::ComponentStatus& status : report.statuses) {
    if (status.component == component) return &status;
  }
  return nullptr;
}

class InstallerTest : public ExecutorTest {
 protected:
  void Start(json config = json::object()) {
    if (!config.contains("namespaces")) config["namespaces"] = json::array();
    config["daemonSetReadySeconds"] = 0.5;
    StartServer(config);
    auto client = kube::Client::FromConfig(server_.Config(kToken));
    ASSERT_TRUE(client.ok()) << client.status();
    installer_ = std::make_unique<ExtensionInstaller>(
        std::move(*client), ExtensionInstallerOptions{.namespace_name = kNamespace});
  }

  // Reconciles until the extension is no longer Installing.
  agent::ExtensionReport ReconcileUntilSettled(const json& item) {
    agent::ExtensionReport report;
    Eventually([&] {
      report = installer_->Reconcile(item);
      return report.install_state != "Installing";
    });
    return report;
  }

  std::unique_ptr<ExtensionInstaller> installer_;
};

// Verifies that install creates every component, reports DaemonSets as
// Installing until their pods are ready, and honours volumePluginDir.
TEST_F(InstallerTest, InstallsComponentsAndWaitsForReadiness) {
  Start();
  json settings = {{"enableTraining", "True"},
                   {"volumePluginDir", "/var/lib/kubelet/volumeplugins"}};
  agent::ExtensionReport first = installer_->Reconcile(Item(settings));
  EXPECT_EQ(first.install_state, "Installing");
  ASSERT_NE(Find(first, "nvidiaDevicePlugin"), nullptr);
  EXPECT_EQ(Find(first, "nvidiaDevicePlugin")->state, "Installing");
  // The test server's DaemonSet controller may not have counted the nodes
  // yet, so the desired count is 0 or 1; only the ready count is certain.
  EXPECT_THAT(Find(first, "nvidiaDevicePlugin")->message, HasSubstr("(0 of "));
  EXPECT_EQ(Find(first, "namespace")->state, "Installed");

  agent::ExtensionReport settled = ReconcileUntilSettled(Item(settings));
  EXPECT_EQ(settled.install_state, "Installed");
  for (const char* component : {"namespace", "trainingAccount", "nvidiaDevicePlugin",
                                "blobfuseFlexvol", "blobfuseSysctl", "training"}) {
    ASSERT_NE(Find(settled, component), nullptr) << component;
    EXPECT_EQ(Find(settled, component)->state, "Installed") << component;
  }
  EXPECT_THAT(Find(settled, "nvidiaDevicePlugin")->message, HasSubstr("1 of 1 pods ready"));

  json flexvol = Object(std::string(kDaemonSets) + "trainyard/daemonsets/" + kFlexvolName);
  ASSERT_FALSE(flexvol.is_null());
  EXPECT_EQ(flexvol["spec"]["template"]["spec"]["volumes"][0]["hostPath"]["path"],
            "/var/lib/kubelet/volumeplugins");
  EXPECT_EQ(flexvol["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/os"], "linux");
  json role = Object("/apis/rbac.authorization.k8s.io/v1/namespaces/trainyard/roles/" +
                     std::string(kTrainingAccount));
  ASSERT_FALSE(role.is_null());
  EXPECT_EQ(role["rules"][0]["verbs"], json::array({"get", "list", "watch"}));
}

// Verifies that a device plugin the user installed in kube-system is
// detected and reused, and that deleting the extension leaves it running.
TEST_F(InstallerTest, PreinstalledDevicePluginIsReusedAndKept) {
  json user_plugin = {
      {"apiVersion", "apps/v1"},
      {"kind", "DaemonSet"},
      {"metadata", {{"name", "nvidia-device-plugin-daemonset"}, {"namespace", "kube-system"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"name", "nvidia-device-plugin-ds"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"name", "nvidia-device-plugin-ds"}}}}},
          {"spec",
           {{"containers",
             {{{"name", "nvidia-device-plugin-ctr"},
               {"image", "nvcr.io/nvidia/k8s-device-plugin:v0.14.5"}}}}}}}}}}};
  Start({{"objects", {user_plugin}}});
  json settings = {{"enableTraining", "True"}, {"installNvidiaDevicePlugin", "True"}};
  agent::ExtensionReport report = ReconcileUntilSettled(Item(settings));

  const agent::ComponentStatus* plugin = Find(report, "nvidiaDevicePlugin");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->state, "Reused");
  EXPECT_THAT(plugin->message, HasSubstr("kube-system/nvidia-device-plugin-daemonset"));
  EXPECT_THAT(plugin->message, HasSubstr("not installing a second one"));
  EXPECT_TRUE(Object(std::string(kDaemonSets) + "trainyard/daemonsets/" + kDevicePluginName)
                  .is_null());

  agent::ExtensionReport removed = installer_->Reconcile(Item(settings, true));
  EXPECT_TRUE(removed.removed);
  EXPECT_EQ(removed.install_state, "Deleting");
  EXPECT_FALSE(Object(std::string(kDaemonSets) +
                      "kube-system/daemonsets/nvidia-device-plugin-daemonset")
                   .is_null());
  EXPECT_TRUE(Eventually([&] {
    return Object(std::string(kDaemonSets) + "trainyard/daemonsets/" + kFlexvolName).is_null();
  }));
}

TEST_F(InstallerTest, ForeignObjectIsReportedNotOverwritten) {
  json account = {{"apiVersion", "v1"},
                  {"kind", "ServiceAccount"},
                  {"metadata", {{"name", kTrainingAccount}, {"namespace", kNamespace}}}};
  Start({{"namespaces", {kNamespace}}, {"objects", {account}}});
  agent::ExtensionReport report = installer_->Reconcile(Item({{"enableTraining", "True"}}));

  EXPECT_EQ(report.install_state, "Failed");
  const agent::ComponentStatus* status = Find(report, "trainingAccount");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->state, "Failed");
  EXPECT_THAT(status->message, HasSubstr("ServiceAccount 'trainyard/trainyard-training' exists "
                                         "but was not created by Trainyard"));
  json kept = Object("/api/v1/namespaces/trainyard/serviceaccounts/trainyard-training");
  EXPECT_FALSE(kept["metadata"].contains("labels"));

  // Deleting the extension leaves the foreign account alone as well.
  installer_->Reconcile(Item({}, true));
  EXPECT_FALSE(Object("/api/v1/namespaces/trainyard/serviceaccounts/trainyard-training")
                   .is_null());
}

TEST_F(InstallerTest, DeleteKeepsNamespaceThatExistedBefore) {
  Start({{"namespaces", {kNamespace}}});
  json settings = {{"enableTraining", "False"}, {"installNvidiaDevicePlugin", "False"}};
  agent::ExtensionReport report = ReconcileUntilSettled(Item(settings));
  EXPECT_EQ(report.install_state, "Installed");
  EXPECT_EQ(Find(report, "namespace")->state, "Reused");
  EXPECT_EQ(Find(report, "nvidiaDevicePlugin")->state, "Skipped");
  EXPECT_EQ(Find(report, "blobfuseFlexvol")->state, "Skipped");

  agent::ExtensionReport removed = installer_->Reconcile(Item(settings, true));
  EXPECT_TRUE(removed.removed);
  EXPECT_THAT(Find(removed, "namespace")->message, HasSubstr("existed before the extension"));
  EXPECT_FALSE(Object("/api/v1/namespaces/trainyard").is_null());
  EXPECT_TRUE(Object("/api/v1/namespaces/trainyard/serviceaccounts/trainyard-training").is_null());
}

TEST_F(InstallerTest, DeleteRemovesNamespaceThatInstallCreated) {
  Start();
  json settings = {{"installNvidiaDevicePlugin", "False"}};
  EXPECT_EQ(ReconcileUntilSettled(Item(settings)).install_state, "Installed");
  agent::ExtensionReport removed = installer_->Reconcile(Item(settings, true));
  EXPECT_TRUE(removed.removed);
  EXPECT_EQ(Find(removed, "namespace")->state, "Removed");
  EXPECT_TRUE(Eventually([&] { return Object("/api/v1/namespaces/trainyard").is_null(); }));
}

}  // namespace
}  // namespace ty::executors::kubernetes::testing
