#pragma once

// The files through which the executor and a rank's shim talk. All of them
// sit in the rank folder; the shim is started as
//
//   <shim executable> shim <rank folder>
//
// It reads launch.json, writes shim.pid and child.pgid as soon as they exist,
// appends output records to stdout.log and stderr.log (log_format.h), and
// writes status.json last, atomically, when the command and every process
// it left behind are gone.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ty::executors::local {

inline constexpr char kLaunchFile[] = "launch.json";
inline constexpr char kShimPidFile[] = "shim.pid";
inline constexpr char kChildPgidFile[] = "child.pgid";
inline constexpr char kStatusFile[] = "status.json";
inline constexpr char kStdoutFile[] = "stdout.log";
inline constexpr char kStderrFile[] = "stderr.log";
inline constexpr char kShimLogFile[] = "shim.log";

// Command the shim runs as `/bin/sh -c command` in `working_dir` with
// exactly `environment`.
struct ShimLaunch {
  std::string command;
  std::string working_dir;
  std::map<std::string, std::string> environment;
  // After forwarding SIGTERM, the shim sends SIGKILL to the command's
  // process group once this many milliseconds have passed.
  int64_t grace_ms = 10000;
};

// Outcome of the command.
struct ShimStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool stop_requested = false;  // the shim received SIGTERM before the end
  std::string error;            // set when the command could not be started
  std::string log_error;        // set when some output could not be stored
  int64_t finished_ms = 0;      // when the command exited
};

std::string EncodeShimLaunch(const ShimLaunch& launch);
absl::StatusOr<ShimLaunch> DecodeShimLaunch(const std::string& json);

std::string EncodeShimStatus(const ShimStatus& status);
absl::StatusOr<ShimStatus> DecodeShimStatus(const std::string& json);

// Reads an integer written to `path` (shim.pid, child.pgid). Errors:
// kNotFound when the file does not exist yet, kDataLoss when it is malformed.
absl::StatusOr<int> ReadPidFile(const std::string& path);

}  // namespace ty::executors::local
