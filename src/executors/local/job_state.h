#pragma once

// The executor's journal of one job, kept in <job folder>/state.json and
// rewritten atomically at each change, so a restarted agent reads what it
// had reported and what it had requested (a cancel, a timeout).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/executor.h"
#include "executors/local/resource_ledger.h"

namespace ty::executors::local {

// Reason the executor stopped the job's ranks before they ended by themselves.
enum class StopKind { kNone, kCancel, kTimeout, kRankFailure };

struct RankRecord {
  int rank = 0;
  int node_rank = 0;
  int local_rank = 0;
  int shim_pid = 0;    // recorded as soon as the shim is started
  std::string status;  // last reported: "", "Running", "Completed", "Failed", "Canceled"
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string message;
};

struct JobRecord {
  agent::LaunchSpec spec;
  std::string status;  // last reported job status; "Queued" until it starts
  int64_t queued_ms = 0;
  int64_t started_ms = 0;  // when the first rank was started; the timeout counts from here
  StopKind stop_kind = StopKind::kNone;
  std::string stop_reason;
  int64_t stop_requested_ms = 0;
  Reservation reservation;
  std::vector<RankRecord> ranks;
  // The outcome, once known: the terminal status to report after
  // Finalizing, with the exit code, signal and message that go with it.
  std::string outcome_status;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string message;
};

bool IsTerminalStatus(const std::string& status);

std::string EncodeJobRecord(const JobRecord& record);

// Errors: kDataLoss when `json` is not a job record.
absl::StatusOr<JobRecord> DecodeJobRecord(const std::string& json);

}  // namespace ty::executors::local
