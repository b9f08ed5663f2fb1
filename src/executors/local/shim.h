#pragma once

namespace ty::executors::local {

// Runs one rank's command under supervision; the entry point of
// `trainyard shim <rank folder>` (argv[1] is "shim"). The shim starts a new
// session so it outlives the agent, runs `/bin/sh -c` in a process group of
// its own, records the output (log_format.h), forwards SIGTERM to the group
// and sends SIGKILL after the grace period, stops whatever the command
// leaves behind once it exits, and writes status.json (shim_protocol.h).
// Returns 0 once status.json is written, 2 on bad arguments, 1 when the rank
// folder cannot be used.
int RunShim(int argc, char** argv);

}  // namespace ty::executors::local
