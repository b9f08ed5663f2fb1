#pragma once

namespace ty {

// `trainyard agent`: connects this cluster to its server and runs the jobs
// assigned to it with the local executor. `argv[0]` is "agent". Runs until
// SIGINT or SIGTERM; returns the process exit code (2 for usage errors).
int RunAgentCommand(int argc, char** argv);

}  // namespace ty
