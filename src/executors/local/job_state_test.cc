#include "executors/local/job_state.h"

#include <gtest/gtest.h>

#include "executors/local/shim_protocol.h"

namespace ty::executors::local {
namespace {

TEST(JobRecord, RoundTrips) {
  JobRecord record;
  record.spec.job_id = "rg/ws/job";
  record.spec.command = "python train.py --lr ${{inputs.lr}}";
  record.spec.inputs["lr"] = {.type = "literal", .value = "0.1"};
  record.spec.outputs = {"model"};
  record.spec.environment = {{"EPOCHS", "3"}};
  record.spec.instance_count = 2;
  record.spec.processes_per_instance = 2;
  record.spec.distribution = "pytorch";
  record.spec.resources.gpus = 1;
  record.spec.timeout = std::chrono::seconds(60);
  record.status = "Running";
  record.started_ms = 1234;
  record.stop_kind = StopKind::kTimeout;
  record.stop_reason = "the job exceeded its time limit of 60 s";
  record.reservation = {.cpus = 2, .gpus_per_node = {{0}, {1}}};
  record.ranks = {{.rank = 0, .status = "Running"},
                  {.rank = 1, .node_rank = 1, .status = "Failed", .exit_code = 3}};
  record.outcome_status = "Failed";
  record.exit_code = 3;

  auto decoded = DecodeJobRecord(EncodeJobRecord(record));

  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(EncodeJobRecord(*decoded), EncodeJobRecord(record));
  EXPECT_EQ(decoded->spec.inputs["lr"].value, "0.1");
  EXPECT_EQ(decoded->stop_kind, StopKind::kTimeout);
  EXPECT_EQ(decoded->ranks[1].exit_code, 3);
  EXPECT_EQ(decoded->ranks[0].exit_code, std::nullopt);
  EXPECT_EQ(decoded->spec.timeout, std::chrono::seconds(60));
}

TEST(JobRecord, RejectsGarbage) {
  EXPECT_EQ(DecodeJobRecord("{\"status\": 1}").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeJobRecord("not json").status().code(), absl::StatusCode::kDataLoss);
}

TEST(ShimStatus, RoundTrips) {
  ShimStatus status{.signal = 9, .stop_requested = true, .log_error = "disk full",
                    .finished_ms = 77};

  auto decoded = DecodeShimStatus(EncodeShimStatus(status));

  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->signal, 9);
  EXPECT_EQ(decoded->exit_code, std::nullopt);
  EXPECT_TRUE(decoded->stop_requested);
  EXPECT_EQ(decoded->log_error, "disk full");
  EXPECT_EQ(decoded->finished_ms, 77);
}

TEST(ShimLaunch, RoundTrips) {
  ShimLaunch launch{.command = "echo hi", .working_dir = "/w", .environment = {{"A", "1"}},
                    .grace_ms = 500};

  auto decoded = DecodeShimLaunch(EncodeShimLaunch(launch));

  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->command, "echo hi");
  EXPECT_EQ(decoded->environment.at("A"), "1");
  EXPECT_EQ(decoded->grace_ms, 500);
}

}  // namespace
}  // namespace ty::executors::local
