#include "executors/local/rank_env.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ty::executors::local {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Hands out ports 5000, 5001, ... so plans are deterministic.
PortPicker CountingPorts() {
  return [](int count) -> absl::StatusOr<std::vector<int>> {
    std::vector<int> ports;
    for (int i = 0; i < count; ++i) ports.push_back(5000 + i);
    return ports;
  };
}

agent::LaunchSpec DistributedSpec(const std::string& type, int instances, int per_instance) {
  agent::LaunchSpec spec;
  spec.job_id = "job";
  spec.distribution = type;
  spec.instance_count = instances;
  spec.processes_per_instance = per_instance;
  return spec;
}

TEST(PlanRanks, PytorchTwoByTwo) {
  auto plans = PlanRanks(DistributedSpec("pytorch", 2, 2), {}, false, CountingPorts());

  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 4u);
  for (int rank = 0; rank < 4; ++rank) {
    const RankPlan& plan = (*plans)[rank];
    std::map<std::string, std::string> env = plan.environment;
    EXPECT_EQ(plan.rank, rank);
    EXPECT_EQ(env["RANK"], std::to_string(rank));
    EXPECT_EQ(env["LOCAL_RANK"], std::to_string(rank % 2));
    EXPECT_EQ(env["NODE_RANK"], std::to_string(rank / 2));
    EXPECT_EQ(env["WORLD_SIZE"], "4");
    EXPECT_EQ(env["LOCAL_WORLD_SIZE"], "2");
    EXPECT_EQ(env["MASTER_ADDR"], "127.0.0.1");
    EXPECT_EQ(env["MASTER_PORT"], "5000");
    EXPECT_EQ(env["PET_NNODES"], "2");
    EXPECT_EQ(env["PET_NPROC_PER_NODE"], "2");
    EXPECT_EQ(env["PET_NODE_RANK"], std::to_string(rank / 2));
    EXPECT_EQ(env["PET_MASTER_PORT"], "5000");
    EXPECT_FALSE(env.contains("CUDA_VISIBLE_DEVICES"));
  }
}

TEST(PlanRanks, SingleProcessWithoutDistributionHasNoRankVariables) {
  auto plans = PlanRanks(DistributedSpec("", 1, 1), {}, false, CountingPorts());

  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 1u);
  EXPECT_TRUE((*plans)[0].environment.empty());
}

TEST(PlanRanks, GpusFollowTheInstance) {
  auto plans = PlanRanks(DistributedSpec("pytorch", 2, 2), {{0, 1}, {2, 3}}, true, CountingPorts());

  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].environment.at("CUDA_VISIBLE_DEVICES"), "0,1");
  EXPECT_EQ((*plans)[1].environment.at("CUDA_VISIBLE_DEVICES"), "0,1");
  EXPECT_EQ((*plans)[2].environment.at("CUDA_VISIBLE_DEVICES"), "2,3");
}

TEST(PlanRanks, JobWithoutGpusHidesHostGpus) {
  auto plans = PlanRanks(DistributedSpec("", 1, 1), {{}}, true, CountingPorts());

  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].environment.at("CUDA_VISIBLE_DEVICES"), "");
}

TEST(PlanRanks, TensorflowWorkersAndParameterServers) {
  agent::LaunchSpec spec = DistributedSpec("tensorflow", 2, 2);
  spec.parameter_server_count = 1;

  auto plans = PlanRanks(spec, {}, false, CountingPorts());

  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 4u);
  nlohmann::json cluster = {
      {"worker", {"127.0.0.1:5000", "127.0.0.1:5001", "127.0.0.1:5002"}},
      {"ps", {"127.0.0.1:5003"}}};
  for (int rank = 0; rank < 4; ++rank) {
    nlohmann::json config = nlohmann::json::parse((*plans)[rank].environment.at("TF_CONFIG"));
    EXPECT_EQ(config["cluster"], cluster);
    nlohmann::json task = rank < 3 ? nlohmann::json{{"type", "worker"}, {"index", rank}}
                                   : nlohmann::json{{"type", "ps"}, {"index", 0}};
    EXPECT_EQ(config["task"], task);
  }
}

TEST(PlanRanks, TensorflowWithoutParameterServersHasNoPsKey) {
  auto plans = PlanRanks(DistributedSpec("tensorflow", 2, 1), {}, false, CountingPorts());

  ASSERT_TRUE(plans.ok());
  nlohmann::json config = nlohmann::json::parse((*plans)[1].environment.at("TF_CONFIG"));
  EXPECT_FALSE(config["cluster"].contains("ps"));
  EXPECT_EQ(config["task"], nlohmann::json({{"type", "worker"}, {"index", 1}}));
}

TEST(PlanRanks, MpiIsOneLauncher) {
  agent::LaunchSpec spec = DistributedSpec("mpi", 2, 3);

  auto plans = PlanRanks(spec, {}, false, CountingPorts());

  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(plans->size(), 1u);
  EXPECT_EQ(MpiHostfile(spec), "localhost slots=6\n");
  std::string command =
      MpiLauncherCommand(spec, "/usr/bin/mpirun", "/jobs/a b/hostfile", "python t.py");
  EXPECT_THAT(command, StartsWith("exec /usr/bin/mpirun -np 6 --oversubscribe "));
  EXPECT_THAT(command, HasSubstr(" --hostfile '/jobs/a b/hostfile' "));
  EXPECT_THAT(command, HasSubstr(" --mca btl_tcp_if_include lo "));
  EXPECT_THAT(command, EndsWith(" /bin/sh -c 'python t.py'"));
  // Open MPI rejects uid 0 without --allow-run-as-root, so root gets the flag.
  EXPECT_EQ(command.find("--allow-run-as-root") != std::string::npos, geteuid() == 0);
}

TEST(ValidateDistribution, RejectsBadCounts) {
  absl::Status zero = ValidateDistribution(DistributedSpec("pytorch", 0, 1));
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.message(), HasSubstr("resources.instance_count is 0"));

  absl::Status negative = ValidateDistribution(DistributedSpec("pytorch", 1, -2));
  EXPECT_EQ(negative.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative.message(), HasSubstr("process_count_per_instance is -2"));
}

TEST(ValidateDistribution, RejectsUnknownType) {
  absl::Status status = ValidateDistribution(DistributedSpec("horovod", 1, 1));

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'horovod' is not supported"));
}

TEST(ValidateDistribution, NeedsAWorker) {
  agent::LaunchSpec spec = DistributedSpec("tensorflow", 2, 1);
  spec.parameter_server_count = 2;

  absl::Status status = ValidateDistribution(spec);

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("at least one task as a worker"));
}

TEST(PickFreePorts, ReturnsDistinctPorts) {
  auto ports = PickFreePorts(3);

  ASSERT_TRUE(ports.ok());
  ASSERT_EQ(ports->size(), 3u);
  EXPECT_NE((*ports)[0], (*ports)[1]);
  EXPECT_NE((*ports)[1], (*ports)[2]);
  EXPECT_NE((*ports)[0], (*ports)[2]);
}

TEST(BuildJobEnvironment, InheritsOnlyHostBasics) {
  std::string path = "PATH=/opt/bin:/usr/bin";
  std::string secret = "AGENT_TOKEN=secret";
  std::string locale = "LC_ALL=C.UTF-8";
  char* agent_env[] = {path.data(), secret.data(), locale.data(), nullptr};
  agent::LaunchSpec spec = DistributedSpec("", 1, 1);
  spec.environment["EPOCHS"] = "3";
  spec.environment["LC_ALL"] = "en_US.UTF-8";

  auto env = BuildJobEnvironment(spec, "/work/job/outputs", agent_env);

  EXPECT_EQ(env["PATH"], "/opt/bin:/usr/bin");
  EXPECT_FALSE(env.contains("AGENT_TOKEN"));
  EXPECT_EQ(env["LC_ALL"], "en_US.UTF-8");
  EXPECT_EQ(env["EPOCHS"], "3");
  EXPECT_EQ(env["TRAINYARD_JOB_ID"], "job");
  EXPECT_EQ(env["TRAINYARD_OUTPUTS_DIR"], "/work/job/outputs");
  EXPECT_FALSE(env.contains("NO_PROXY"));
}

TEST(BuildJobEnvironment, ProxyNeverCoversLoopback) {
  std::string proxy = "HTTPS_PROXY=http://proxy.example:3128";
  std::string no_proxy = "NO_PROXY=internal.example";
  char* agent_env[] = {proxy.data(), no_proxy.data(), nullptr};

  auto env = BuildJobEnvironment(DistributedSpec("", 1, 1), "/out", agent_env);

  EXPECT_EQ(env["HTTPS_PROXY"], "http://proxy.example:3128");
  EXPECT_EQ(env["NO_PROXY"], "internal.example,127.0.0.1,localhost,::1");
  EXPECT_EQ(env["no_proxy"], "127.0.0.1,localhost,::1");
  EXPECT_EQ(env["PATH"], "/usr/local/bin:/usr/bin:/bin");
}

}  // namespace
}  // namespace ty::executors::local
