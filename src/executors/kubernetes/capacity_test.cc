#include "executors/kubernetes/capacity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::kubernetes {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr int64_t kGi = int64_t{1} << 30;

json Node(const std::string& name, const std::string& cpu, const std::string& memory, int gpus,
          json labels = json::object()) {
  labels["kubernetes.io/os"] = "linux";
  json allocatable = {{"cpu", cpu}, {"memory", memory}};
  if (gpus > 0) allocatable["nvidia.com/gpu"] = std::to_string(gpus);
  return {{"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", json::object()},
          {"status",
           {{"allocatable", allocatable},
            {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
}

json Pods(const std::string& node, const std::string& cpu) {
  return {{"items",
           {{{"spec",
              {{"nodeName", node},
               {"containers", {{{"resources", {{"requests", {{"cpu", cpu}}}}}}}}}},
             {"status", {{"phase", "Running"}}}}}}};
}

PodResources Ask(int64_t cpu_millis, int64_t memory, int64_t gpus = 0) {
  PodResources resources;
  resources.requests = {.cpu_millis = cpu_millis, .memory_bytes = memory};
  if (gpus > 0) resources.limits.gpus = gpus;
  return resources;
}

TEST(CapacityTest, FitsAcrossNodes) {
  auto nodes = ReadNodes({{"items", {Node("a", "8", "32Gi", 0), Node("b", "8", "32Gi", 0)}}},
                         nullptr);
  FitResult fit = CheckFit(nodes, Ask(4000, 16 * kGi), {}, 4, "");
  EXPECT_TRUE(fit.ever);
  EXPECT_TRUE(fit.now);
}

// Verifies that a gang larger than the cluster is rejected with the
// request and what the nodes hold.
TEST(CapacityTest, GangThatNeverFitsNamesTheNumbers) {
  auto nodes = ReadNodes({{"items", {Node("a", "8", "24Gi", 1)}}}, nullptr);
  FitResult fit = CheckFit(nodes, Ask(1000, 20 * kGi), {}, 2, "");
  EXPECT_FALSE(fit.ever);
  EXPECT_THAT(fit.message, HasSubstr("needs 2 instances of (cpu 1, memory 20Gi) at once"));
  EXPECT_THAT(fit.message, HasSubstr("hold at most 1"));
}

TEST(CapacityTest, InstanceLargerThanAnyNodeNamesLargest) {
  auto nodes = ReadNodes({{"items", {Node("small", "4", "8Gi", 0), Node("big", "16", "64Gi", 0)}}},
                         nullptr);
  FitResult fit = CheckFit(nodes, Ask(512000, kGi), {}, 1, "");
  EXPECT_FALSE(fit.ever);
  EXPECT_THAT(fit.message, HasSubstr("asks for cpu 512"));
  EXPECT_THAT(fit.message, HasSubstr("'big' (cpu 16, memory 64Gi"));
}

TEST(CapacityTest, GpusWhereNoneAdvertisedSaysSo) {
  auto nodes = ReadNodes({{"items", {Node("a", "8", "32Gi", 0)}}}, nullptr);
  FitResult fit = CheckFit(nodes, Ask(1000, kGi, 1), {}, 1, "no NVIDIA device plugin is installed");
  EXPECT_FALSE(fit.ever);
  EXPECT_THAT(fit.message, HasSubstr("no schedulable GPUs"));
  EXPECT_THAT(fit.message, HasSubstr("no NVIDIA device plugin is installed"));
}

TEST(CapacityTest, SelectorMatchingNoNodeIsNamed) {
  auto nodes = ReadNodes({{"items", {Node("a", "8", "32Gi", 1)}}}, nullptr);
  PodResources resources = Ask(1000, kGi);
  resources.node_selector = {{"accelerator", "a100"}};
  FitResult fit = CheckFit(nodes, resources, {}, 1, "");
  EXPECT_FALSE(fit.ever);
  EXPECT_THAT(fit.message, HasSubstr("no schedulable node matches the node selector "
                                     "accelerator=a100,kubernetes.io/os=linux"));
}

TEST(CapacityTest, BusyNodesMeanWaiting) {
  json pods = Pods("a", "6");
  auto nodes = ReadNodes({{"items", {Node("a", "8", "32Gi", 0)}}}, &pods);
  FitResult fit = CheckFit(nodes, Ask(4000, kGi), {}, 1, "");
  EXPECT_TRUE(fit.ever);
  EXPECT_FALSE(fit.now);
  EXPECT_THAT(fit.message, HasSubstr("waiting for room for 1 instances"));
}

TEST(CapacityTest, CapacityReportsGpuModels) {
  auto nodes = ReadNodes(
      {{"items", {Node("gpu", "32", "128Gi", 2,
                       {{"nvidia.com/gpu.product", "A100-SXM4-40GB"},
                        {"nvidia.com/gpu.memory", "40960"}}),
                  Node("cpu", "8", "32Gi", 0, {{"pool", "other"}})}}},
      nullptr);
  auto capacity = ToCapacity(nodes, {{"kubernetes.io/os", "linux"}});
  ASSERT_EQ(capacity.size(), 2u);
  EXPECT_EQ(capacity[0].cpus, 32);
  ASSERT_EQ(capacity[0].gpus.size(), 2u);
  EXPECT_EQ(capacity[0].gpus[1].model, "A100-SXM4-40GB");
  EXPECT_EQ(capacity[0].gpus[1].memory_bytes, int64_t{40960} << 20);
  EXPECT_EQ(ToCapacity(nodes, {{"pool", "other"}}).size(), 1u);
}

}  // namespace
}  // namespace ty::executors::kubernetes
