#pragma once

// Turns how a rank's process ended into the status and message users see.

#include <optional>
#include <string>
#include <vector>

#include "executors/local/shim_protocol.h"

namespace ty::executors::local {

// A rank's end as reported: "Completed", "Failed" or "Canceled".
struct RankOutcome {
  std::string status;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string message;
};

// Returns "SIGKILL" for 9, "signal 77" for a number without a name.
std::string SignalName(int signal);

// Classifies one rank's end. `lost` means the shim died without status.json.
// `stop_reason` is set when the executor requested the rank to stop before it
// ended. `last_lines` is the end of its output, where the shell names a
// program it could not find.
RankOutcome ClassifyRankEnd(const ShimStatus& status, bool lost, const std::string& stop_reason,
                            const std::vector<std::string>& last_lines);

// Returns the message of a job whose rank `rank` (of `world`) failed: the
// rank's own message, and for a multi-rank job the rank and its last lines.
std::string RankFailureMessage(int rank, int world, const RankOutcome& outcome,
                               const std::vector<std::string>& last_lines);

}  // namespace ty::executors::local
