#include "api/job_spec.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

constexpr char kFullSpec[] = R"(
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
name: mnist-1
code: ./src
command: python train.py --data ${{inputs.data}} --lr ${{ inputs.lr }} --out ${{outputs.model}}
environment: python:3.11
compute: azureml:gpu-cluster
resources:
  instance_count: 2
  instance_type: gpu-small
distribution:
  type: pytorch
  process_count_per_instance: 4
inputs:
  data:
    type: uri_folder
    path: ./data
    mode: download
  lr: 0.01
  config:
    type: uri_file
    path: https://example.com/config.json
outputs:
  model:
    type: uri_folder
    mode: upload
  logs:
environment_variables:
  NCCL_DEBUG: INFO
  OMP_NUM_THREADS: 4
limits:
  timeout: 3600
experiment_name: mnist
display_name: first try
description: a test job
tags:
  team: vision
)";

JobSpec MustParse(std::string_view text) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : JobSpec{};
}

TEST(ParseJobSpecTest, ReadsEveryField) {
  JobSpec spec = MustParse(kFullSpec);
  EXPECT_EQ(spec.name, "mnist-1");
  EXPECT_EQ(spec.code, "./src");
  EXPECT_EQ(spec.environment, "python:3.11");
  EXPECT_EQ(spec.compute, "gpu-cluster");
  EXPECT_EQ(spec.instance_count, 2);
  EXPECT_EQ(spec.instance_type, "gpu-small");
  EXPECT_EQ(spec.distribution.type, DistributionType::kPyTorch);
  EXPECT_EQ(spec.distribution.process_count_per_instance, 4);
  ASSERT_EQ(spec.inputs.size(), 3u);
  EXPECT_EQ(spec.inputs["data"], (JobInput{std::nullopt, DataType::kUriFolder, "./data",
                                           InputMode::kDownload}));
  EXPECT_EQ(spec.inputs["lr"].literal, "0.01");
  EXPECT_EQ(spec.inputs["config"].type, DataType::kUriFile);
  EXPECT_EQ(spec.inputs["config"].mode, InputMode::kRoMount);
  EXPECT_EQ(spec.outputs["model"], (JobOutput{DataType::kUriFolder, "", OutputMode::kUpload}));
  EXPECT_EQ(spec.outputs["logs"], JobOutput{});
  EXPECT_EQ(spec.environment_variables,
            (std::map<std::string, std::string>{{"NCCL_DEBUG", "INFO"}, {"OMP_NUM_THREADS", "4"}}));
  EXPECT_EQ(spec.timeout_seconds, 3600);
  EXPECT_EQ(spec.experiment_name, "mnist");
  EXPECT_EQ(spec.display_name, "first try");
  EXPECT_EQ(spec.description, "a test job");
  EXPECT_EQ(spec.tags, (std::map<std::string, std::string>{{"team", "vision"}}));
}

TEST(ParseJobSpecTest, MinimalSpecGetsDefaults) {
  JobSpec spec = MustParse("command: echo hi\n");
  EXPECT_EQ(spec.command, "echo hi");
  EXPECT_EQ(spec.instance_count, 1);
  EXPECT_EQ(spec.instance_type, "");
  EXPECT_EQ(spec.distribution.type, DistributionType::kNone);
  EXPECT_FALSE(spec.timeout_seconds.has_value());
  EXPECT_EQ(spec.compute, "");
}

TEST(ParseJobSpecTest, ReadsJson) {
  JobSpec spec = MustParse(
      "{\n\t\"type\": \"command\", \"command\": \"echo\",\n\t\"compute\": \"local\",\n"
      "\t\"resources\": {\"instance_count\": 3}}");
  EXPECT_EQ(spec.compute, "local");
  EXPECT_EQ(spec.instance_count, 3);
}

TEST(ParseJobSpecTest, ReadsTensorflowAndMpi) {
  JobSpec tensorflow = MustParse(
      "command: python tf.py\nresources: {instance_count: 3}\n"
      "distribution: {type: tensorflow, worker_count: 2, parameter_server_count: 1}\n");
  EXPECT_EQ(tensorflow.distribution.type, DistributionType::kTensorFlow);
  EXPECT_EQ(tensorflow.distribution.worker_count, 2);
  EXPECT_EQ(tensorflow.distribution.parameter_server_count, 1);

  JobSpec mpi = MustParse("command: x\ndistribution: {type: mpi}\n");
  EXPECT_EQ(mpi.distribution.type, DistributionType::kMpi);
  EXPECT_EQ(mpi.distribution.process_count_per_instance, 1);
}

TEST(ParseJobSpecTest, ReadsInlineEnvironmentImage) {
  JobSpec spec = MustParse("command: x\nenvironment:\n  image: pytorch/pytorch:2.3\n");
  EXPECT_EQ(spec.environment, "pytorch/pytorch:2.3");
}

TEST(ParseJobSpecTest, AcceptsEveryMode) {
  JobSpec spec = MustParse(R"(
command: ls ${{inputs.a}} ${{inputs.b}} ${{inputs.c}} ${{outputs.d}} ${{outputs.e}}
inputs:
  a: {type: uri_folder, path: ./a, mode: ro_mount}
  b: {type: uri_folder, path: ./b, mode: download}
  c: {type: uri_folder, path: ./c, mode: direct}
outputs:
  d: {type: uri_folder, mode: rw_mount}
  e: {type: uri_file, mode: upload, path: ./e.txt}
)");
  EXPECT_EQ(spec.inputs["a"].mode, InputMode::kRoMount);
  EXPECT_EQ(spec.inputs["b"].mode, InputMode::kDownload);
  EXPECT_EQ(spec.inputs["c"].mode, InputMode::kDirect);
  EXPECT_EQ(spec.outputs["d"].mode, OutputMode::kRwMount);
  EXPECT_EQ(spec.outputs["e"].mode, OutputMode::kUpload);
  EXPECT_EQ(spec.outputs["e"].path, "./e.txt");
}

// Verifies that the JSON written for storage reads back to an equal spec.
TEST(JobSpecToJsonTest, RoundTrips) {
  JobSpec spec = MustParse(kFullSpec);
  nlohmann::json json = JobSpecToJson(spec);
  EXPECT_EQ(json["compute"], "gpu-cluster");
  EXPECT_EQ(json["resources"]["instance_count"], 2);
  EXPECT_EQ(json["inputs"]["data"]["mode"], "download");
  EXPECT_EQ(json["inputs"]["lr"], "0.01");
  EXPECT_EQ(json["limits"]["timeout"], 3600);
  EXPECT_FALSE(json.contains("$schema"));
  EXPECT_EQ(MustParse(json.dump()), spec);

  JobSpec tensorflow = MustParse(
      "command: x\ndistribution: {type: tensorflow, parameter_server_count: 1}\n");
  EXPECT_EQ(MustParse(JobSpecToJson(tensorflow).dump()), tensorflow);
  JobSpec minimal = MustParse("command: x\n");
  EXPECT_EQ(MustParse(JobSpecToJson(minimal).dump()), minimal);
}

}  // namespace
}  // namespace ty::api
