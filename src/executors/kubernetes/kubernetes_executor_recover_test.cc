// End-to-end tests of KubernetesExecutor::Recover against the test API
// server: a restarted agent adopts the jobs it owns and deletes orphans.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/executor_test_fixture.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes::testing {
namespace {

using ::testing::ElementsAre;
using nlohmann::json;

const std::set<std::string> kFinal = {"Completed", "Failed", "Canceled"};

// Verifies that a job started by one executor is adopted by the next: its
// state is in the inventory, its end is reported, and its log lines keep
// their offsets, so the server drops the ones it has.
TEST_F(ExecutorTest, RecoverAdoptsRunningJob) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("survivor", "echo one; sleep 2; echo two");
  ASSERT_TRUE(executor_->Launch(spec).ok());
  ASSERT_TRUE(listener_.WaitForStatus(spec.job_id, {"Running"}).has_value());
  executor_->Shutdown();

  RecordingListener second;
  std::unique_ptr<KubernetesExecutor> restarted = NewExecutor(second, Options());
  ASSERT_TRUE(restarted->Recover().ok());
  std::vector<agent::JobState> inventory = restarted->Inventory();
  ASSERT_EQ(inventory.size(), 1u);
  EXPECT_EQ(inventory[0].job_id, spec.job_id);
  EXPECT_EQ(inventory[0].status, "Running");

  auto final = second.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  EXPECT_THAT(second.Lines(spec.job_id, 0), ElementsAre("one", "two"));
  EXPECT_EQ(second.Chunks(spec.job_id).front().offset, 0);
  restarted->Shutdown();
}

TEST_F(ExecutorTest, RecoverDeletesOrphans) {
  StartServer();
  json orphan = {{"apiVersion", "v1"},
                 {"kind", "Service"},
                 {"metadata",
                  {{"name", "ty-gone-12345678"},
                   {"labels", {{kManagedByLabel, kManagedByValue},
                               {kOwnerLabel, "test-cluster"},
                               {kJobLabel, "ty-gone-12345678"}}}}},
                 {"spec", {{"clusterIP", "None"}}}};
  json foreign = orphan;
  foreign["metadata"]["name"] = "someone-elses";
  foreign["metadata"]["labels"][kOwnerLabel] = "another-cluster";
  auto client = kube::Client::FromConfig(server_.Config(kToken));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Create(kube::kServices, kNamespace, orphan).ok());
  ASSERT_TRUE((*client)->Create(kube::kServices, kNamespace, foreign).ok());

  StartExecutor();
  EXPECT_TRUE(Object("/api/v1/namespaces/trainyard/services/ty-gone-12345678").is_null());
  EXPECT_FALSE(Object("/api/v1/namespaces/trainyard/services/someone-elses").is_null());
  EXPECT_TRUE(executor_->Inventory().empty());
}

}  // namespace
}  // namespace ty::executors::kubernetes::testing
