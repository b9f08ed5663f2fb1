#pragma once

// Process helpers for the local executor: starting shims detached from the
// agent, checking that a recorded pid is still our shim, and running short
// helper programs.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::executors::local {

// Starts `shim_path shim rank_dir` through a double fork, so the shim is not
// the agent's child: it is never left as the agent's zombie and it outlives
// the agent. Its own stdout and stderr go to rank_dir/shim.log. Returns the
// shim's pid. Errors: kInternal when fork or exec fails, with the cause.
absl::StatusOr<pid_t> SpawnShim(const std::string& shim_path, const std::string& rank_dir);

// Returns true when `pid` is a live process whose command line is
// `<any> shim <rank_dir>`, so a pid reused by another program is not
// mistaken for the shim.
bool IsShimAlive(pid_t pid, const std::string& rank_dir);

// Returns true while any process is in process group `pgid`.
bool GroupExists(pid_t pgid);

// Runs `argv` (argv[0] looked up on PATH) with stdin from /dev/null and
// returns its stdout. Errors: kNotFound when the program is not on PATH,
// kDeadlineExceeded after `timeout` (the program is killed), kInternal
// when it exits non-zero or by a signal.
absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout);

// Returns the full path of `program` found on `path` (a PATH value), or an
// empty string.
std::string FindOnPath(const std::string& program, const std::string& path);

}  // namespace ty::executors::local
