#pragma once

namespace ty::up {

// The environment variable that makes the server and the agent started by
// `trainyard up` stop when up dies. Its value is up's pid.
inline constexpr char kParentPidVariable[] = "TRAINYARD_PARENT_PID";

// `trainyard up`: starts a server and a local agent under one data folder,
// registers this machine as cluster `local` with training enabled, attaches
// it to workspace `default` as compute `local`, logs the CLI in, and runs
// until Ctrl-C. `argv[0]` is "up". Returns the process exit code.
int RunUpCommand(int argc, char** argv);

}  // namespace ty::up
