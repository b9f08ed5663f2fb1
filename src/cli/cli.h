#pragma once

// Entry point of the `trainyard` command-line client. The CLI talks to the
// server over the REST API in docs/rest-api.md and never touches the store.

namespace ty::cli {

// Runs one CLI command, `argv[1]` onward, such as `trainyard group list`.
// Prints results to stdout and errors to stderr, and returns the process exit
// code: 0 on success, 1 on an error (the server rejected the request, a
// resource was not found, the server could not be reached), 2 on a usage
// error (unknown or missing flag, stray argument, malformed value).
int RunCli(int argc, char** argv);

}  // namespace ty::cli
