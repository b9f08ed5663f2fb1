#include "server/placement.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ty::server {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

TEST(PlaceGang, PlacesWholeGangOnOneNode) {
  std::vector<NodeResources> free = {{"host", 2, 24 * kGiB, 0}};
  auto placement = PlaceGang(free, {.instances = 2, .cpus = 1, .memory_bytes = 2 * kGiB});
  ASSERT_TRUE(placement.has_value());
  EXPECT_EQ(*placement, (std::vector<size_t>{0, 0}));
  EXPECT_DOUBLE_EQ(free[0].cpus, 0);
  EXPECT_EQ(free[0].memory_bytes, 20 * kGiB);
}

// Verifies that a gang that does not fit takes nothing, so no job ever holds
// part of the capacity while its other ranks wait.
TEST(PlaceGang, PartialFitTakesNothing) {
  std::vector<NodeResources> free = {{"host", 2, 24 * kGiB, 0}};
  auto placement = PlaceGang(free, {.instances = 3, .cpus = 1, .memory_bytes = kGiB});
  EXPECT_FALSE(placement.has_value());
  EXPECT_DOUBLE_EQ(free[0].cpus, 2);
  EXPECT_EQ(free[0].memory_bytes, 24 * kGiB);
}

TEST(PlaceGang, SpreadsAcrossNodes) {
  std::vector<NodeResources> free = {{"a", 1, 4 * kGiB, 1}, {"b", 1, 4 * kGiB, 1}};
  auto placement = PlaceGang(free, {.instances = 2, .cpus = 1, .memory_bytes = kGiB, .gpus = 1});
  ASSERT_TRUE(placement.has_value());
  EXPECT_EQ(*placement, (std::vector<size_t>{0, 1}));
}

TEST(PlaceGang, GpusAreCounted) {
  std::vector<NodeResources> free = {{"host", 8, 24 * kGiB, 1}};
  EXPECT_FALSE(PlaceGang(free, {.instances = 1, .cpus = 1, .gpus = 2}).has_value());
}

TEST(PlaceGang, ToleratesCpuRounding) {
  std::vector<NodeResources> free = {{"host", 0.3, kGiB, 0}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(PlaceGang(free, {.instances = 1, .cpus = 0.1}).has_value()) << i;
  }
}

TEST(NodesFromCapacity, ReadsAgentReport) {
  nlohmann::json capacity = nlohmann::json::parse(R"({"nodes": [
      {"name": "host", "cpus": 2, "memoryBytes": 1024,
       "gpus": [{"index": 0, "model": "A100", "memoryBytes": 1}]}]})");
  std::vector<NodeResources> nodes = NodesFromCapacity(capacity);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "host");
  EXPECT_DOUBLE_EQ(nodes[0].cpus, 2);
  EXPECT_EQ(nodes[0].memory_bytes, 1024);
  EXPECT_EQ(nodes[0].gpus, 1);
}

TEST(NodesFromCapacity, MalformedReportHasNoNodes) {
  EXPECT_TRUE(NodesFromCapacity(nlohmann::json()).empty());
  EXPECT_TRUE(NodesFromCapacity(nlohmann::json::parse(R"({"nodes": 3})")).empty());
}

TEST(DescribeWait, NamesRequestAndFreeCapacity) {
  std::string message =
      DescribeWait({{"host", 0.5, kGiB, 0}}, {.instances = 2, .cpus = 1, .memory_bytes = 2 * kGiB});
  EXPECT_NE(message.find("2 instance(s) of 1 CPU, 2.0 GiB"), std::string::npos) << message;
  EXPECT_NE(message.find("node 'host' has 0.5 CPU, 1.0 GiB free"), std::string::npos) << message;
}

}  // namespace
}  // namespace ty::server
