#pragma once

namespace ty::server {

// Runs `trainyard server`: `argv[0]` is "server", flags follow. Serves until
// SIGINT or SIGTERM and returns the exit code: 0 after a clean stop, 1 when
// the server cannot start, 2 on a usage error.
int RunServerCommand(int argc, char** argv);

}  // namespace ty::server
