#include "agent/extension_states.h"

#include <gtest/gtest.h>

namespace ty::agent {
namespace {

using nlohmann::json;

json Item(const std::string& name, const std::string& training, bool deleting = false) {
  return {{"name", name}, {"settings", {{"enableTraining", training}}}, {"deleting", deleting}};
}

ExtensionReport Report(const std::string& name, const std::string& state,
                       std::vector<ComponentStatus> statuses = {}) {
  ExtensionReport report;
  report.extension = name;
  report.install_state = state;
  report.statuses = std::move(statuses);
  return report;
}

TEST(ExtensionStatesTest, TrainingNeedsInstalledAndSetting) {
  ExtensionStates states;
  states.Record(Item("ml", "True"), Report("ml", "Installing"));
  EXPECT_FALSE(states.training_enabled());

  states.Record(Item("ml", "True"), Report("ml", "Installed"));
  EXPECT_TRUE(states.training_enabled());

  states.Record(Item("ml", "False"), Report("ml", "Installed"));
  EXPECT_FALSE(states.training_enabled());
}

TEST(ExtensionStatesTest, UnsettledHoldsInstallingAndUnfinishedDeletes) {
  ExtensionStates states;
  states.Record(Item("a", "True"), Report("a", "Installing"));
  states.Record(Item("b", "True"), Report("b", "Installed"));
  states.Record(Item("c", "True", /*deleting=*/true), Report("c", "Deleting"));
  states.Record(Item("d", "True"), Report("d", "Failed"));

  std::vector<std::string> names;
  for (const json& item : states.Unsettled()) names.push_back(item["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));
}

TEST(ExtensionStatesTest, FinishedDeleteForgetsExtension) {
  ExtensionStates states;
  states.Record(Item("ml", "True"), Report("ml", "Installed"));
  ExtensionReport removed = Report("ml", "Deleting");
  removed.removed = true;
  states.Record(Item("ml", "True", /*deleting=*/true), removed);

  EXPECT_FALSE(states.training_enabled());
  EXPECT_TRUE(states.Unsettled().empty());
}

TEST(ExtensionStatesTest, ChangedComparesComponentMessages) {
  ExtensionStates states;
  ExtensionReport first =
      Report("ml", "Installing", {{"nvidiaDevicePlugin", "Installing", "0 of 1 pods ready"}});
  EXPECT_TRUE(states.Changed(first));
  states.Record(Item("ml", "True"), first);
  EXPECT_FALSE(states.Changed(first));

  ExtensionReport ready =
      Report("ml", "Installed", {{"nvidiaDevicePlugin", "Installed", "1 of 1 pods ready"}});
  EXPECT_TRUE(states.Changed(ready));
}

TEST(ExtensionStatesTest, RetainDropsMissingExtensions) {
  ExtensionStates states;
  states.Record(Item("old", "True"), Report("old", "Installed"));
  states.Record(Item("new", "False"), Report("new", "Installed"));
  EXPECT_TRUE(states.training_enabled());

  states.Retain({"new"});
  EXPECT_FALSE(states.training_enabled());
}

TEST(ExtensionStatesTest, LogShippingFollowsComponent) {
  ExtensionStates states;
  states.Record(Item("ml", "True"),
                Report("ml", "Installed", {{kLogShippingComponent, "Skipped", "off"}}));
  EXPECT_FALSE(states.log_shipping_enabled());

  states.Record(Item("ml", "True"),
                Report("ml", "Installed", {{kLogShippingComponent, "Reused", "on"}}));
  EXPECT_TRUE(states.log_shipping_enabled());
}

}  // namespace
}  // namespace ty::agent
