#pragma once

// Process helpers for the local executor: starting shims detached from the
// agent, checking that a recorded pid is still our shim, and running short
// helper programs.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::executors::local {

// Starts `shim_path shim rank_dir` with posix_spawn, which does not copy the
// agent's page tables as fork does. The shim is the agent's child until the
// agent exits, and then init's, so it outlives the agent; IsShimAlive reaps
// it. Its own stdout and stderr go to rank_dir/shim.log. Returns the shim's
// pid. Errors: kInternal when the spawn or the exec fails, with the cause.
absl::StatusOr<pid_t> SpawnShim(const std::string& shim_path, const std::string& rank_dir);

// Returns true when `pid` is a live process whose command line is
// `<any> shim <rank_dir>`, so a pid reused by another program is not
// mistaken for the shim. Reaps the shim when it has exited and is this
// process's child.
bool IsShimAlive(pid_t pid, const std::string& rank_dir);

// Reaps `pid` when it is this process's child, waiting up to `wait` for it
// to exit. Returns at once for a pid that is not a child (a shim left by an
// earlier agent process, or 0). A shim that exits only after `wait` stays
// a zombie until the agent exits and init reaps it.
void ReapShim(pid_t pid, std::chrono::milliseconds wait);

// The test behind IsShimAlive: `cmdline` is /proc/PID/cmdline and `state`
// the state letter of /proc/PID/stat. An empty command line of a process
// that is not a zombie counts as the shim, because the kernel shows one
// while the shim's exec is under way.
bool ShimMatches(std::string_view cmdline, char state, const std::string& rank_dir);

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
