#pragma once

// Reading a job's logs: all at once, or followed live with long polls.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "cli/context.h"

namespace ty::cli {

// Returns ApiPath of the job `name` in `workspace` of `group`.
std::string JobPath(std::string_view group, std::string_view workspace, std::string_view name);

struct LogOptions {
  bool follow = false;              // long-poll until the server marks the log complete
  std::optional<std::string> rank;  // only this rank's lines
};

// Prints the job's log lines from the first one on. Each line is prefixed
// "[node/rank]" when the job runs more than one process. With
// `options.follow` it waits for new lines (GET .../logs?after=SEQ&wait=30)
// until the job is final and every line is printed, retrying a lost
// connection a few times. With --output json it prints JSON lines, one log
// line each.
absl::Status PrintLogs(CommandContext& context, ApiClient& api, const std::string& job_path,
                       const LogOptions& options);

// Follows the logs until the job is final, then prints its final status.
// Returns OK when the job Completed, and an error naming the final status
// (and the job's error, if any) otherwise, so the exit code tells the outcome.
absl::Status StreamJob(CommandContext& context, ApiClient& api, const std::string& job_path);

}  // namespace ty::cli
