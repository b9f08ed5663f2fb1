#include "executors/local/resource_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

agent::NodeCapacity Host(int gpus) {
  agent::NodeCapacity host{.name = "box", .cpus = 8, .memory_bytes = int64_t{24} << 30};
  for (int i = 0; i < gpus; ++i) host.gpus.push_back({.index = i, .model = "GPU"});
  return host;
}

agent::LaunchSpec Job(int instances, int gpus, int64_t memory_gib = 0) {
  agent::LaunchSpec spec;
  spec.instance_count = instances;
  spec.resources.gpus = gpus;
  spec.resources.memory_bytes = memory_gib << 30;
  return spec;
}

TEST(ResourceLedger, RejectsGpusOnHostWithout) {
  ResourceLedger ledger(Host(0));

  absl::Status fits = ledger.CheckFits(Job(1, 1));

  EXPECT_EQ(fits.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(fits.message(), HasSubstr("host 'box' has no schedulable GPUs"));
}

TEST(ResourceLedger, RejectsGangLargerThanHost) {
  ResourceLedger ledger(Host(1));

  absl::Status gpus = ledger.CheckFits(Job(8, 4));
  absl::Status memory = ledger.CheckFits(Job(2, 0, 20));

  EXPECT_EQ(gpus.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(gpus.message(), HasSubstr("32 GPUs (8 x 4 per instance) but host 'box' has 1 GPU"));
  EXPECT_EQ(memory.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(memory.message(), HasSubstr("40.0 GiB of memory (2 x 20.0 GiB per instance)"));
  EXPECT_THAT(memory.message(), HasSubstr("has 24.0 GiB"));
}

TEST(ResourceLedger, GivesEachGpuToOneJob) {
  ResourceLedger ledger(Host(3));

  auto first = ledger.Reserve("a", Job(1, 2));
  auto second = ledger.Reserve("b", Job(1, 2));

  ASSERT_TRUE(first.ok());
  EXPECT_THAT(first->gpus_per_node, ElementsAre(ElementsAre(0, 1)));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(), HasSubstr("2 GPUs (1 of 3 free)"));

  ledger.Release("a");
  auto third = ledger.Reserve("b", Job(1, 2));
  ASSERT_TRUE(third.ok());
  EXPECT_THAT(third->gpus_per_node, ElementsAre(ElementsAre(0, 1)));
}

TEST(ResourceLedger, SplitsGpusPerInstance) {
  ResourceLedger ledger(Host(4));

  auto reservation = ledger.Reserve("gang", Job(2, 2));

  ASSERT_TRUE(reservation.ok());
  EXPECT_THAT(reservation->gpus_per_node, ElementsAre(ElementsAre(0, 1), ElementsAre(2, 3)));
}

TEST(ResourceLedger, RestoredReservationHoldsItsGpus) {
  ResourceLedger ledger(Host(2));
  ledger.Restore("running", {.cpus = 1, .gpus_per_node = {{1}}});

  auto reservation = ledger.Reserve("new", Job(1, 1));

  ASSERT_TRUE(reservation.ok());
  EXPECT_THAT(reservation->gpus_per_node, ElementsAre(ElementsAre(0)));
}

TEST(ResourceLedger, CountsCpusAndMemory) {
  ResourceLedger ledger(Host(0));

  ASSERT_TRUE(ledger.Reserve("a", Job(1, 0, 16)).ok());
  auto second = ledger.Reserve("b", Job(1, 0, 16));

  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(), HasSubstr("16.0 GiB of memory (8.0 GiB of 24.0 GiB free)"));
  EXPECT_EQ(ledger.Reserve("a", Job(1, 0)).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace ty::executors::local
