#include "agent/launch_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ty::agent {
namespace {

TEST(LaunchJson, RoundTrips) {
  LaunchSpec spec;
  spec.job_id = "rg/ws/job-1";
  spec.command = "python3 train.py --epochs ${{inputs.epochs}}";
  spec.inputs["epochs"] = {"literal", "20", ""};
  spec.outputs = {"model"};
  spec.environment = {{"A", "1"}};
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";
  spec.resources.cpus = 1.5;
  spec.resources.memory_bytes = 1 << 30;
  spec.resources.cpu_limit = 2;
  spec.resources.memory_limit_bytes = int64_t{3} << 30;
  spec.namespace_name = "team-a";
  spec.resources.tolerations = {{.key = "dedicated", .value = "ml", .effect = "NoSchedule"}};
  spec.timeout = std::chrono::seconds(60);

  absl::StatusOr<LaunchSpec> parsed = LaunchSpecFromJson(LaunchSpecToJson(spec, "sha256:x"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->job_id, spec.job_id);
  EXPECT_EQ(parsed->command, spec.command);
  EXPECT_EQ(parsed->inputs.at("epochs").value, "20");
  EXPECT_EQ(parsed->outputs, spec.outputs);
  EXPECT_EQ(parsed->instance_count, 2);
  EXPECT_EQ(parsed->distribution, "pytorch");
  EXPECT_EQ(parsed->resources.memory_bytes, 1 << 30);
  EXPECT_EQ(parsed->resources.cpu_limit, 2);
  EXPECT_EQ(parsed->resources.memory_limit_bytes, int64_t{3} << 30);
  EXPECT_EQ(parsed->namespace_name, "team-a");
  EXPECT_EQ(parsed->resources.tolerations, spec.resources.tolerations);
  EXPECT_EQ(parsed->timeout.count(), 60);
}

TEST(LaunchJson, RejectsWrongTypes) {
  nlohmann::json job = {{"jobId", "a/b/c"}, {"command", "true"}, {"instanceCount", "two"}};
  absl::StatusOr<LaunchSpec> parsed = LaunchSpecFromJson(job);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("job.instanceCount"), std::string::npos);
}

TEST(LaunchJson, RejectsZeroInstances) {
  nlohmann::json job = {{"jobId", "a/b/c"}, {"command", "true"}, {"instanceCount", 0}};
  EXPECT_FALSE(LaunchSpecFromJson(job).ok());
}

TEST(LaunchJson, RejectsMissingCommand) {
  nlohmann::json job = {{"jobId", "a/b/c"}};
  absl::StatusOr<LaunchSpec> parsed = LaunchSpecFromJson(job);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("job.command"), std::string::npos);
}

}  // namespace
}  // namespace ty::agent
