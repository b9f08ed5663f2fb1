// End-to-end tests of KubernetesExecutor against the test API server:
// jobs that run, fail, are canceled or time out.

#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/executor_test_fixture.h"

namespace ty::executors::kubernetes::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

const std::set<std::string> kFinal = {"Completed", "Failed", "Canceled"};

TEST_F(ExecutorTest, RunsJobToCompletionWithLogs) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("hello", "cat greeting.txt; echo second line");
  spec.code_archive = WriteSnapshot("greeting.txt", "hello from the snapshot\n");
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  EXPECT_EQ(final->exit_code, 0);
  EXPECT_THAT(listener_.JobStatuses(spec.job_id),
              ElementsAre("Preparing", "Starting", "Running", "Finalizing", "Completed"));
  EXPECT_THAT(listener_.Lines(spec.job_id, 0),
              ElementsAre("hello from the snapshot", "second line"));
  EXPECT_TRUE(listener_.WaitForRank(spec.job_id, [](const agent::StatusEvent& event) {
    return *event.rank == 0 && event.status == "Completed" && event.exit_code == 0;
  }));

  std::vector<agent::JobState> inventory = executor_->Inventory();
  ASSERT_EQ(inventory.size(), 1u);
  EXPECT_EQ(inventory[0].status, "Completed");
  executor_->Forget(spec.job_id);
  EXPECT_TRUE(executor_->Inventory().empty());
}

// Verifies the rank variables of a 2 x 2 PyTorch job: RANK 0 to 3 once
// each, LOCAL_RANK 0 and 1 per instance, NODE_RANK per instance, one
// WORLD_SIZE and MASTER_ADDR/MASTER_PORT for all.
TEST_F(ExecutorTest, DistributedRanksGetTheirVariables) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("ddp", "echo RANK=$RANK LOCAL_RANK=$LOCAL_RANK "
                                       "NODE_RANK=$NODE_RANK WORLD_SIZE=$WORLD_SIZE "
                                       "LOCAL_WORLD_SIZE=$LOCAL_WORLD_SIZE "
                                       "MASTER=$MASTER_ADDR:$MASTER_PORT");
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  std::string name = KubernetesExecutor::KubernetesName(spec.job_id);
  std::string master = name + "-0." + name + ".trainyard.svc.cluster.local:29500";
  for (int rank = 0; rank < 4; ++rank) {
    EXPECT_THAT(listener_.Lines(spec.job_id, rank),
                ElementsAre(fmt::format("RANK={} LOCAL_RANK={} NODE_RANK={} WORLD_SIZE=4 "
                                        "LOCAL_WORLD_SIZE=2 MASTER={}",
                                        rank, rank % 2, rank / 2, master)));
    EXPECT_TRUE(listener_.WaitForRank(spec.job_id, [rank](const agent::StatusEvent& event) {
      return *event.rank == rank && event.status == "Completed";
    }));
  }
}

TEST_F(ExecutorTest, FailingRankFailsJobWithItsLastLines) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("gang", "echo about to decide; "
                                        "if [ \"$RANK\" = 1 ]; then exit 3; fi; sleep 30");
  spec.instance_count = 2;
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_EQ(final->exit_code, 3);
  EXPECT_THAT(final->message, HasSubstr("rank 1 of 2 failed: rank 1 failed with exit code 3"));
  EXPECT_THAT(final->message, HasSubstr("its last output lines: about to decide"));
  EXPECT_TRUE(listener_.WaitForRank(spec.job_id, [](const agent::StatusEvent& event) {
    return *event.rank == 1 && event.status == "Failed" && event.exit_code == 3;
  }));
}

TEST_F(ExecutorTest, CancelDeletesWithForegroundPropagation) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("long", "echo started; sleep 60");
  ASSERT_TRUE(executor_->Launch(spec).ok());
  ASSERT_TRUE(listener_.WaitForStatus(spec.job_id, {"Running"}).has_value());

  ASSERT_TRUE(executor_->Cancel(spec.job_id, "canceled by the user").ok());
  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Canceled");
  EXPECT_EQ(final->message, "canceled by the user");
  EXPECT_TRUE(Object(JobPath(spec.job_id)).is_null());

  auto requests = server_.Control("requests");
  ASSERT_TRUE(requests.ok());
  bool foreground_delete = false;
  for (const json& request : (*requests)["requests"]) {
    foreground_delete |= request["method"] == "DELETE" &&
                         request["path"] == JobPath(spec.job_id) &&
                         request.value("propagationPolicy", "") == "Foreground";
  }
  EXPECT_TRUE(foreground_delete);
  EXPECT_TRUE(executor_->Cancel(spec.job_id, "again").ok());
}

TEST_F(ExecutorTest, TimeoutFailsJob) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("slow", "sleep 30");
  spec.timeout = std::chrono::seconds(1);
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_EQ(final->message, "job exceeded its time limit of 1 s");
}

// Verifies that a job is followed to its end across a watch that the
// server ended and a resourceVersion that expired meanwhile.
TEST_F(ExecutorTest, SurvivesWatchEndAndExpiredResourceVersion) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("steady", "echo one; sleep 2; echo two");
  ASSERT_TRUE(executor_->Launch(spec).ok());
  ASSERT_TRUE(listener_.WaitForStatus(spec.job_id, {"Running"}).has_value());

  ASSERT_TRUE(server_.Control("denials", {{"denials", {{{"verb", "watch"}}}}}).ok());
  ASSERT_TRUE(server_.Control("end-watches").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(server_.Control("compact").ok());
  ASSERT_TRUE(server_.Control("denials", {{"denials", json::array()}}).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  EXPECT_THAT(listener_.Lines(spec.job_id, 0), ElementsAre("one", "two"));
}

// Verifies that a job waits, with the reason on its ranks, while the
// cluster has no room for all its instances, and runs once it has.
TEST_F(ExecutorTest, JobWaitsForRoomThenRuns) {
  StartServer({{"nodes", {{{"name", "small"}, {"cpu", "2"}, {"memory", "8Gi"}}}}});
  StartExecutor();
  agent::LaunchSpec first = Spec("first", "sleep 2");
  first.resources.cpus = 2;
  agent::LaunchSpec second = Spec("second", "echo second ran");
  second.resources.cpus = 2;
  ASSERT_TRUE(executor_->Launch(first).ok());
  ASSERT_TRUE(listener_.WaitForStatus(first.job_id, {"Running"}).has_value());
  ASSERT_TRUE(executor_->Launch(second).ok());

  auto queued = listener_.WaitForRank(second.job_id, [](const agent::StatusEvent& event) {
    return event.status == "Queued";
  });
  ASSERT_TRUE(queued.has_value());
  EXPECT_THAT(queued->message, HasSubstr("waiting for room for 1 instances of (cpu 2"));
  EXPECT_TRUE(Object(JobPath(second.job_id)).is_null());

  auto final = listener_.WaitForStatus(second.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  EXPECT_THAT(listener_.Lines(second.job_id, 0), ElementsAre("second ran"));
}

TEST_F(ExecutorTest, DiscoverCapacityReadsNodes) {
  StartServer({{"nodes",
                {{{"name", "gpu-node"}, {"cpu", "16"}, {"memory", "64Gi"}, {"gpu", 2},
                  {"labels", {{"nvidia.com/gpu.product", "A100"}}}},
                 {{"name", "cordoned"}, {"cpu", "4"}, {"memory", "8Gi"},
                  {"unschedulable", true}}}}});
  StartExecutor();
  auto capacity = executor_->DiscoverCapacity();
  ASSERT_TRUE(capacity.ok()) << capacity.status();
  ASSERT_EQ(capacity->size(), 1u);
  EXPECT_EQ((*capacity)[0].name, "gpu-node");
  EXPECT_EQ((*capacity)[0].cpus, 16);
  EXPECT_EQ((*capacity)[0].memory_bytes, int64_t{64} << 30);
  ASSERT_EQ((*capacity)[0].gpus.size(), 2u);
  EXPECT_EQ((*capacity)[0].gpus[0].model, "A100");
}

}  // namespace
}  // namespace ty::executors::kubernetes::testing
