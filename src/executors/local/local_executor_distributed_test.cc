// Multi-rank jobs on the local executor: rank variables, gang failure and
// cancel while ranks start.

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "executors/local/local_executor.h"
#include "executors/local/test_listener.h"

namespace ty::executors::local {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Parses "NAME=value NAME=value" lines into one map.
std::map<std::string, std::string> ParseVariables(const std::vector<std::string>& lines) {
  std::map<std::string, std::string> variables;
  for (const std::string& line : lines) {
    for (absl::string_view pair : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      if (parts.size() == 2) variables[parts[0]] = parts[1];
    }
  }
  return variables;
}

class LocalExecutorDistributedTest : public LocalExecutorTestBase {};

TEST_F(LocalExecutorDistributedTest, PytorchRanksGetTheirVariables) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  std::string command;
  for (const char* name : {"RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE",
                           "MASTER_ADDR", "MASTER_PORT", "PET_NPROC_PER_NODE", "PET_NNODES",
                           "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"}) {
    command += fmt::format("echo {0}=${0}; ", name);
  }
  agent::LaunchSpec spec = Spec("ddp", command);
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("ddp");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  std::set<std::string> ports;
  for (int rank = 0; rank < 4; ++rank) {
    std::map<std::string, std::string> variables = ParseVariables(listener.Lines("ddp", rank));
    EXPECT_EQ(variables["RANK"], std::to_string(rank));
    EXPECT_EQ(variables["LOCAL_RANK"], std::to_string(rank % 2));
    EXPECT_EQ(variables["NODE_RANK"], std::to_string(rank / 2));
    EXPECT_EQ(variables["WORLD_SIZE"], "4");
    EXPECT_EQ(variables["LOCAL_WORLD_SIZE"], "2");
    EXPECT_EQ(variables["MASTER_ADDR"], "127.0.0.1");
    EXPECT_FALSE(variables["MASTER_PORT"].empty());
    EXPECT_EQ(variables["PET_NPROC_PER_NODE"], "2");
    EXPECT_EQ(variables["PET_NNODES"], "2");
    EXPECT_EQ(variables["PET_NODE_RANK"], std::to_string(rank / 2));
    EXPECT_EQ(variables["PET_MASTER_ADDR"], "127.0.0.1");
    EXPECT_EQ(variables["PET_MASTER_PORT"], variables["MASTER_PORT"]);
    ports.insert(variables["MASTER_PORT"]);
  }
  EXPECT_EQ(ports.size(), 1u);

  // Every rank's status names the host and the instance it runs on.
  std::map<int, std::string> nodes;
  for (const agent::StatusEvent& event : listener.Events("ddp")) {
    if (event.rank) nodes[*event.rank] = event.node;
  }
  EXPECT_EQ(nodes, (std::map<int, std::string>{
                       {0, "test-host/0"}, {1, "test-host/0"}, {2, "test-host/1"}, {3, "test-host/1"}}));
}

// Verifies that ranks can rendezvous on MASTER_ADDR:MASTER_PORT: rank 0
// listens, the others connect to it and exchange their ranks.
TEST_F(LocalExecutorDistributedTest, PytorchRanksRendezvousOnMaster) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("rendezvous", R"(/usr/bin/python3 -c '
import os, socket, time
addr = (os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
if rank == 0:
    server = socket.create_server(addr)
    seen = sorted(int(server.accept()[0].recv(16)) for _ in range(world - 1))
    print("rank 0 met", seen)
else:
    for attempt in range(600):
        try:
            socket.create_connection(addr).sendall(str(rank).encode()); break
        except OSError:
            time.sleep(0.05)
    print("rank", rank, "connected")
')");
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("rendezvous");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed") << end->message;
  EXPECT_THAT(listener.Lines("rendezvous", 0), ElementsAre("rank 0 met [1, 2, 3]"));
  EXPECT_THAT(listener.Lines("rendezvous", 3), ElementsAre("rank 3 connected"));
}

TEST_F(LocalExecutorDistributedTest, TensorflowRanksGetTfConfig) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("tf", "echo \"$TF_CONFIG\"");
  spec.instance_count = 3;
  spec.distribution = "tensorflow";
  spec.parameter_server_count = 1;

  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_EQ(listener.WaitForEnd("tf")->status, "Completed");

  std::vector<nlohmann::json> configs;
  for (int rank = 0; rank < 3; ++rank) {
    std::vector<std::string> lines = listener.Lines("tf", rank);
    ASSERT_EQ(lines.size(), 1u);
    configs.push_back(nlohmann::json::parse(lines[0]));
  }
  const nlohmann::json& cluster = configs[0]["cluster"];
  ASSERT_EQ(cluster["worker"].size(), 2u);
  ASSERT_EQ(cluster["ps"].size(), 1u);
  EXPECT_THAT(cluster["worker"][0].get<std::string>(), HasSubstr("127.0.0.1:"));
  for (int rank = 0; rank < 3; ++rank) EXPECT_EQ(configs[rank]["cluster"], cluster);
  EXPECT_EQ(configs[0]["task"], nlohmann::json({{"type", "worker"}, {"index", 0}}));
  EXPECT_EQ(configs[1]["task"], nlohmann::json({{"type", "worker"}, {"index", 1}}));
  EXPECT_EQ(configs[2]["task"], nlohmann::json({{"type", "ps"}, {"index", 0}}));
}

TEST_F(LocalExecutorDistributedTest, FailingRankStopsTheOthers) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("gang", R"(echo "rank $RANK up";
if [ "$RANK" = 1 ]; then
  while [ ! -f fail-now ]; do sleep 0.02; done
  echo "rank one gives up" >&2; exit 3
fi
sleep 1000)");
  spec.instance_count = 2;
  spec.distribution = "pytorch";

  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_TRUE(listener.WaitForLine("gang", 0, "rank 0 up"));
  ASSERT_TRUE(listener.WaitForLine("gang", 1, "rank 1 up"));
  pid_t survivor = ChildGroup("gang", 0);
  std::ofstream(CodeDir("gang") + "/fail-now").put('\n');
  auto end = listener.WaitForEnd("gang");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 3);
  EXPECT_THAT(end->message, HasSubstr("rank 1 of 2 failed: process exited with code 3"));
  EXPECT_THAT(end->message, HasSubstr("rank one gives up"));
  auto rank0 = listener.WaitForStatus("gang", {"Canceled"}, 0);
  ASSERT_TRUE(rank0.has_value());
  EXPECT_EQ(rank0->message, "stopped because rank 1 failed");
  EXPECT_TRUE(GroupGone(survivor));
}

// Verifies that a cancel that arrives while ranks are still starting leaves
// no process and ends the job as canceled.
TEST_F(LocalExecutorDistributedTest, CancelWhileRanksStart) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  listener.SetStatusHook([&](const agent::StatusEvent& event) {
    if (event.job_id == "starting" && event.rank == 0 && event.status == "Running") {
      ASSERT_TRUE(executor->Cancel("starting", "canceled during start").ok());
    }
  });
  agent::LaunchSpec spec = Spec("starting", "echo up; sleep 30");
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("starting");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Canceled");
  for (int rank = 0; rank < 4; ++rank) {
    pid_t group = ChildGroup("starting", rank);
    if (group > 0) {
      EXPECT_TRUE(GroupGone(group)) << "rank " << rank;
    }
    EXPECT_TRUE(listener.WaitForStatus("starting", {"Canceled"}, rank).has_value())
        << "rank " << rank;
  }
  EXPECT_TRUE(executor->Cancel("starting", "again").ok());
  EXPECT_THAT(listener.JobStatuses("starting"),
              ElementsAre("Preparing", "Starting", "Finalizing", "Canceled"));
}

TEST_F(LocalExecutorDistributedTest, GangReservesEveryInstance) {
  capacity_.cpus = 3;
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec first = Spec("gang-a", "while [ ! -f go ]; do sleep 0.02; done");
  first.instance_count = 2;
  first.distribution = "pytorch";
  agent::LaunchSpec second = first;
  second.job_id = "gang-b";

  ASSERT_TRUE(executor->Launch(first).ok());
  ASSERT_TRUE(executor->Launch(second).ok());
  auto queued = listener.WaitForStatus("gang-b", {"Queued"});
  ASSERT_TRUE(queued.has_value());
  EXPECT_THAT(queued->message, HasSubstr("2 CPUs (1 of 3 free)"));
  EXPECT_TRUE(listener.Events("gang-b").size() == 1u);

  ASSERT_TRUE(listener.WaitForStatus("gang-a", {"Running"}).has_value());
  std::ofstream(CodeDir("gang-a") + "/go").put('\n');
  ASSERT_EQ(listener.WaitForEnd("gang-a")->status, "Completed");
  ASSERT_TRUE(listener.WaitForStatus("gang-b", {"Running"}).has_value());
  std::ofstream(CodeDir("gang-b") + "/go").put('\n');
  EXPECT_EQ(listener.WaitForEnd("gang-b")->status, "Completed");
}

}  // namespace
}  // namespace ty::executors::local
