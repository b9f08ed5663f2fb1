#include "api/distribution_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ty::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

ProcessLayout Layout(DistributionType type, int instances, int per_instance,
                     int parameter_servers = 0) {
  return {.type = type,
          .instance_count = instances,
          .processes_per_instance = per_instance,
          .parameter_server_count = parameter_servers};
}

JobSpec ParsedSpec(const std::string& yaml) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(yaml);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.value_or(JobSpec{});
}

TEST(ParseDistributionType, ReadsEveryName) {
  EXPECT_EQ(*ParseDistributionType(""), DistributionType::kNone);
  EXPECT_EQ(*ParseDistributionType("pytorch"), DistributionType::kPyTorch);
  EXPECT_EQ(*ParseDistributionType("mpi"), DistributionType::kMpi);
  EXPECT_EQ(*ParseDistributionType("tensorflow"), DistributionType::kTensorFlow);
}

TEST(ParseDistributionType, RejectsUnknownName) {
  absl::Status status = ParseDistributionType("horovod").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'horovod'"));
  EXPECT_THAT(status.message(), HasSubstr("pytorch, mpi or tensorflow"));
}

TEST(PositionOfRank, NumbersInstancesThenLocalRanks) {
  ProcessLayout layout = Layout(DistributionType::kPyTorch, 2, 2);
  std::vector<std::pair<int, int>> positions;
  for (int rank = 0; rank < layout.WorldSize(); ++rank) {
    RankPosition position = PositionOfRank(layout, rank);
    EXPECT_EQ(position.rank, rank);
    positions.emplace_back(position.node_rank, position.local_rank);
  }
  EXPECT_THAT(positions, ElementsAre(Pair(0, 0), Pair(0, 1), Pair(1, 0), Pair(1, 1)));
}

TEST(JobWideVariables, PytorchHasMasterAndTorchrunVariables) {
  auto variables = JobWideVariables(Layout(DistributionType::kPyTorch, 2, 3), "10.0.0.5", 29500);
  EXPECT_EQ(variables["WORLD_SIZE"], "6");
  EXPECT_EQ(variables["LOCAL_WORLD_SIZE"], "3");
  EXPECT_EQ(variables["MASTER_ADDR"], "10.0.0.5");
  EXPECT_EQ(variables["MASTER_PORT"], "29500");
  EXPECT_EQ(variables["PET_NNODES"], "2");
  EXPECT_EQ(variables["PET_NPROC_PER_NODE"], "3");
  EXPECT_EQ(variables["PET_MASTER_ADDR"], "10.0.0.5");
  EXPECT_EQ(variables["PET_MASTER_PORT"], "29500");
  EXPECT_EQ(variables.size(), 8u);
}

TEST(JobWideVariables, OtherFrameworksHaveNoMaster) {
  for (DistributionType type : {DistributionType::kMpi, DistributionType::kTensorFlow,
                                DistributionType::kNone}) {
    auto variables = JobWideVariables(Layout(type, 2, 1), "host", 1);
    EXPECT_FALSE(variables.contains("MASTER_ADDR")) << DistributionTypeName(type);
    EXPECT_FALSE(variables.contains("PET_NNODES")) << DistributionTypeName(type);
    EXPECT_EQ(variables["WORLD_SIZE"], "2");
  }
}

TEST(PerRankVariables, PytorchRankFive) {
  auto variables = PerRankVariables(Layout(DistributionType::kPyTorch, 3, 2), 5);
  EXPECT_EQ(variables["RANK"], "5");
  EXPECT_EQ(variables["LOCAL_RANK"], "1");
  EXPECT_EQ(variables["NODE_RANK"], "2");
  EXPECT_EQ(variables["GROUP_RANK"], "2");
  EXPECT_EQ(variables["PET_NODE_RANK"], "2");
}

TEST(PerRankVariables, TensorflowHasNoTorchrunVariables) {
  auto variables = PerRankVariables(Layout(DistributionType::kTensorFlow, 2, 1), 1);
  EXPECT_EQ(variables["RANK"], "1");
  EXPECT_FALSE(variables.contains("PET_NODE_RANK"));
}

TEST(TensorFlowConfig, WorkersFirstThenParameterServers) {
  ProcessLayout layout = Layout(DistributionType::kTensorFlow, 3, 1, 1);
  std::string cluster = TensorFlowClusterJson(
      layout, [](int rank) { return "host" + std::to_string(rank) + ":2222"; });
  EXPECT_EQ(nlohmann::json::parse(cluster),
            nlohmann::json::parse(R"({"worker":["host0:2222","host1:2222"],"ps":["host2:2222"]})"));

  nlohmann::json worker = nlohmann::json::parse(TensorFlowConfig(layout, cluster, 1));
  EXPECT_EQ(worker["task"], nlohmann::json::parse(R"({"type":"worker","index":1})"));
  EXPECT_EQ(worker["cluster"], nlohmann::json::parse(cluster));
  nlohmann::json ps = nlohmann::json::parse(TensorFlowConfig(layout, cluster, 2));
  EXPECT_EQ(ps["task"], nlohmann::json::parse(R"({"type":"ps","index":0})"));
}

TEST(TensorFlowConfig, NoPsKeyWithoutParameterServers) {
  ProcessLayout layout = Layout(DistributionType::kTensorFlow, 2, 1);
  nlohmann::json cluster = nlohmann::json::parse(
      TensorFlowClusterJson(layout, [](int rank) { return std::to_string(rank); }));
  EXPECT_FALSE(cluster.contains("ps"));
  EXPECT_EQ(cluster["worker"].size(), 2u);
}

TEST(MpiHostfile, MergesInstancesOnOneHost) {
  ProcessLayout layout = Layout(DistributionType::kMpi, 2, 3);
  EXPECT_EQ(MpiHostfile(layout, {"localhost", "localhost"}), "localhost slots=6\n");
}

TEST(MpiHostfile, OneLinePerHost) {
  ProcessLayout layout = Layout(DistributionType::kMpi, 2, 2);
  EXPECT_EQ(MpiHostfile(layout, {"pod-0", "pod-1"}), "pod-0 slots=2\npod-1 slots=2\n");
}

TEST(MpirunArguments, MinimalAndFull) {
  ProcessLayout layout = Layout(DistributionType::kMpi, 2, 2);
  EXPECT_THAT(MpirunArguments(layout, {}), ElementsAre("-np", "4", "--oversubscribe"));

  std::vector<std::string> full = MpirunArguments(
      layout, {.hostfile = "/job/hostfile", .as_root = true, .loopback_only = true});
  std::string joined;
  for (const std::string& argument : full) joined += argument + " ";
  EXPECT_THAT(joined, HasSubstr("--hostfile /job/hostfile "));
  EXPECT_THAT(joined, HasSubstr("--allow-run-as-root "));
  EXPECT_THAT(joined, HasSubstr("--mca btl self,tcp "));
  EXPECT_THAT(joined, HasSubstr("--mca btl_tcp_if_include lo "));
}

TEST(ValidateLayout, RejectsBadCounts) {
  struct Case {
    ProcessLayout layout;
    std::string field;
  };
  std::vector<Case> cases = {
      {Layout(DistributionType::kPyTorch, 0, 1), "resources.instance_count"},
      {Layout(DistributionType::kPyTorch, -2, 1), "resources.instance_count"},
      {Layout(DistributionType::kPyTorch, 1, 0), "distribution.process_count_per_instance"},
      {Layout(DistributionType::kMpi, 1, -1), "distribution.process_count_per_instance"},
      {Layout(DistributionType::kPyTorch, 2, 1, 1), "distribution.parameter_server_count"},
      {Layout(DistributionType::kTensorFlow, 2, 1, -1), "distribution.parameter_server_count"},
      {Layout(DistributionType::kTensorFlow, 2, 1, 2), "distribution.parameter_server_count"},
  };
  for (const Case& bad : cases) {
    absl::Status status = ValidateLayout(bad.layout);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_THAT(status.message(), HasSubstr(bad.field));
  }
  EXPECT_TRUE(ValidateLayout(Layout(DistributionType::kTensorFlow, 2, 1, 1)).ok());
}

TEST(LayoutOfJob, PytorchUsesProcessCount) {
  JobSpec spec = ParsedSpec(R"(
command: train
resources: {instance_count: 2}
distribution: {type: pytorch, process_count_per_instance: 3})");
  ProcessLayout layout = *LayoutOfJob(spec);
  EXPECT_EQ(layout.instance_count, 2);
  EXPECT_EQ(layout.processes_per_instance, 3);
  EXPECT_EQ(layout.WorldSize(), 6);
}

TEST(LayoutOfJob, TensorflowDefaultsToOneWorkerPerInstance) {
  JobSpec spec = ParsedSpec(R"(
command: train
resources: {instance_count: 3}
distribution: {type: tensorflow})");
  ProcessLayout layout = *LayoutOfJob(spec);
  EXPECT_EQ(layout.processes_per_instance, 1);
  EXPECT_EQ(layout.WorkerCount(), 3);
  EXPECT_EQ(layout.parameter_server_count, 0);
}

TEST(LayoutOfJob, TensorflowParameterServerBesideOneWorker) {
  JobSpec spec = ParsedSpec("command: train\ndistribution: {type: tensorflow, "
                            "parameter_server_count: 1}\n");
  ProcessLayout layout = *LayoutOfJob(spec);
  EXPECT_EQ(layout.processes_per_instance, 2);
  EXPECT_EQ(layout.WorkerCount(), 1);
}

TEST(LayoutOfJob, TensorflowSpreadsTasksOverInstances) {
  JobSpec spec = ParsedSpec(R"(
command: train
resources: {instance_count: 2}
distribution: {type: tensorflow, worker_count: 3, parameter_server_count: 1})");
  ProcessLayout layout = *LayoutOfJob(spec);
  EXPECT_EQ(layout.processes_per_instance, 2);
  EXPECT_EQ(layout.WorkerCount(), 3);
  EXPECT_EQ(layout.parameter_server_count, 1);
}

TEST(LayoutOfJob, TensorflowTasksMustDivideEvenly) {
  JobSpec spec;
  spec.command = "train";
  spec.instance_count = 2;
  spec.distribution = {.type = DistributionType::kTensorFlow,
                       .worker_count = 2,
                       .parameter_server_count = 1};
  absl::Status status = LayoutOfJob(spec).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("distribution.worker_count"));
  EXPECT_THAT(status.message(), HasSubstr("3 tasks"));
}

TEST(LayoutOfJob, NoDistributionIsOneProcessPerInstance) {
  JobSpec spec = ParsedSpec("command: train\nresources: {instance_count: 4}\n");
  ProcessLayout layout = *LayoutOfJob(spec);
  EXPECT_EQ(layout.type, DistributionType::kNone);
  EXPECT_EQ(layout.WorldSize(), 4);
}

}  // namespace
}  // namespace ty::api
