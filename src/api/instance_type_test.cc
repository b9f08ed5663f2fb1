#include "api/instance_type.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

using nlohmann::json;

constexpr int64_t kGi = int64_t{1} << 30;

// Verifies that the REST shape maps to exactly the requests, limits and node
// selector given, with nothing added.
TEST(InstanceTypeTest, ParsesDocumentedShape) {
  json body = json::parse(R"({"name": "gpu-small", "nodeSelector": {"accelerator": "a100"},
      "resources": {"requests": {"cpu": "4", "memory": "16Gi"},
                    "limits": {"cpu": 4, "memory": "16Gi", "nvidia.com/gpu": 1}}})");
  absl::StatusOr<InstanceType> type = InstanceTypeFromJson(body);
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_EQ(type->name, "gpu-small");
  EXPECT_EQ(type->node_selector, (std::map<std::string, std::string>{{"accelerator", "a100"}}));
  EXPECT_EQ(type->requests, (ResourceList{4000, 16 * kGi, std::nullopt}));
  EXPECT_EQ(type->limits, (ResourceList{4000, 16 * kGi, 1}));
}

TEST(InstanceTypeTest, JsonRoundTrips) {
  InstanceType type;
  type.name = "cpu-half";
  type.node_selector = {{"kubernetes.io/arch", "amd64"}};
  type.requests = {500, 1536 * (int64_t{1} << 20), std::nullopt};
  type.limits = {1000, 2 * kGi, 2};
  json written = InstanceTypeToJson(type);
  EXPECT_EQ(written["resources"]["requests"],
            (json{{"cpu", "500m"}, {"memory", "1536Mi"}}));
  EXPECT_EQ(written["resources"]["limits"],
            (json{{"cpu", "1"}, {"memory", "2Gi"}, {"nvidia.com/gpu", 2}}));
  absl::StatusOr<InstanceType> read = InstanceTypeFromJson(json::parse(written.dump()));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, type);
}

TEST(InstanceTypeTest, DefaultInstanceType) {
  InstanceType type = DefaultInstanceType();
  EXPECT_EQ(type.name, "defaultinstancetype");
  EXPECT_EQ(type.requests, (ResourceList{1000, 2 * kGi, std::nullopt}));
  EXPECT_EQ(type.limits, ResourceList{});
  EXPECT_TRUE(type.node_selector.empty());
  EXPECT_TRUE(ValidateInstanceType(type).ok());
}

TEST(InstanceTypeTest, EffectiveRequestsTakeLimits) {
  InstanceType type;
  type.name = "t";
  type.requests.cpu_millis = 500;
  type.limits = {2000, kGi, 1};
  EXPECT_EQ(EffectiveRequests(type), (ResourceList{500, kGi, 1}));
}

struct BadType {
  std::string body;
  std::string field;
  std::string message;
};

TEST(InstanceTypeTest, RejectsBadBodies) {
  const std::vector<BadType> kCases = {
      {R"([])", "", ""},
      {R"({"resources": {}})", "name", ""},
      {R"({"name": 5})", "name", ""},
      {R"({"name": "bad name"})", "name", ""},
      {R"({"name": "t", "nodeSelectors": {}})", "nodeSelectors",
       "nodeSelectors: unknown key 'nodeSelectors': did you mean 'nodeSelector'?"},
      {R"({"name": "t", "nodeSelector": ["a"]})", "nodeSelector", ""},
      {R"({"name": "t", "nodeSelector": {"gpu": true}})", "nodeSelector.gpu",
       "nodeSelector.gpu: invalid label value true: use a string such as \"true\""},
      {R"({"name": "t", "nodeSelector": {"bad key": "x"}})", "nodeSelector.bad key", ""},
      {R"({"name": "t", "nodeSelector": {"a": "-x"}})", "nodeSelector.a", ""},
      {R"({"name": "t", "resources": []})", "resources", ""},
      {R"({"name": "t", "resources": {"request": {}}})", "resources.request",
       "resources.request: unknown key 'request': did you mean 'requests'?"},
      {R"({"name": "t", "resources": {"requests": {"gpu": 1}}})", "resources.requests.gpu",
       "resources.requests.gpu: unknown key 'gpu': did you mean 'nvidia.com/gpu'?"},
      {R"({"name": "t", "resources": {"requests": {"amd.com/gpu": 1}}})",
       "resources.requests.amd.com/gpu", ""},
      {R"({"name": "t", "resources": {"requests": {"ephemeral-storage": "1Gi"}}})",
       "resources.requests.ephemeral-storage",
       "resources.requests.ephemeral-storage: unknown key 'ephemeral-storage': valid keys are "
       "cpu, memory, nvidia.com/gpu"},
      {R"({"name": "t", "resources": {"requests": {"cpu": "four"}}})", "resources.requests.cpu",
       ""},
      {R"({"name": "t", "resources": {"requests": {"cpu": -1}}})", "resources.requests.cpu",
       "resources.requests.cpu: negative quantity '-1': use 0 or more"},
      {R"({"name": "t", "resources": {"requests": {"cpu": true}}})", "resources.requests.cpu", ""},
      {R"({"name": "t", "resources": {"requests": {"memory": "16GB"}}})",
       "resources.requests.memory", ""},
      {R"({"name": "t", "resources": {"limits": {"nvidia.com/gpu": 1.5}}})",
       "resources.limits.nvidia.com/gpu",
       "resources.limits.nvidia.com/gpu: invalid GPU count 1.5: use a whole number such as 1"},
      {R"({"name": "t", "resources": {"limits": {"nvidia.com/gpu": -2}}})",
       "resources.limits.nvidia.com/gpu", ""},
      {R"({"name": "t", "resources": {"limits": {"nvidia.com/gpu": "one"}}})",
       "resources.limits.nvidia.com/gpu", ""},
      {R"({"name": "t", "resources": {"requests": {"cpu": "4"}, "limits": {"cpu": "2"}}})",
       "resources.limits.cpu",
       "resources.limits.cpu: cpu limit '2' is below the request '4': raise the limit or lower "
       "the request"},
      {R"({"name": "t", "resources": {"requests": {"memory": "16Gi"}, "limits": {"memory": "8Gi"}}})",
       "resources.limits.memory",
       "resources.limits.memory: memory limit '8Gi' is below the request '16Gi': raise the limit "
       "or lower the request"},
      {R"({"name": "t", "resources": {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}})",
       "resources.limits.nvidia.com/gpu", ""},
  };
  for (const BadType& c : kCases) {
    absl::StatusOr<InstanceType> type = InstanceTypeFromJson(json::parse(c.body));
    EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(ErrorField(type.status()), c.field) << c.body;
    if (!c.message.empty()) {
      EXPECT_EQ(type.status().message(), c.message);
    }
  }
}

TEST(InstanceTypeTest, ValidateRejectsNegativeValues) {
  InstanceType type;
  type.name = "t";
  type.requests.memory_bytes = -1;
  absl::Status status = ValidateInstanceType(type);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(status), "resources.requests.memory");

  type.requests = {};
  type.limits.gpus = -1;
  status = ValidateInstanceType(type);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(status), "resources.limits.nvidia.com/gpu");
}

TEST(InstanceTypeTest, AcceptsGpuCountAsStringAndPrefixedLabels) {
  absl::StatusOr<InstanceType> type = InstanceTypeFromJson(json::parse(
      R"({"name": "t", "nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-l4", "empty": ""},
          "resources": {"limits": {"nvidia.com/gpu": "2"}}})"));
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_EQ(type->limits.gpus, 2);
}

}  // namespace
}  // namespace ty::api
