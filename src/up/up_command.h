#pragma once

namespace ty::up {

// The environment variable through which `trainyard up` asks the server and
// the agent it starts to stop when it dies: it holds up's pid.
inline constexpr char kParentPidVariable[] = "TRAINYARD_PARENT_PID";

// `trainyard up`: starts a server and a local agent under one data folder,
// registers this machine as cluster `local` with training enabled, attaches
// it to workspace `default` as compute `local`, logs the CLI in, and runs
// until Ctrl-C. `argv[0]` is "up". Returns the process exit code.
int RunUpCommand(int argc, char** argv);

}  // namespace ty::up
