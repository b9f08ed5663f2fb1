#pragma once

// Dispatches a command line to its command: finds the command by its words,
// parses its flags, runs it and turns the result into an exit code.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/context.h"

namespace ty::cli {

// Process exit codes.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Runs `args` (the words after the program name) against `commands`. Help
// goes to stdout; errors go to stderr as "error: <message>". Returns
// kExitUsage for usage errors (unknown command or flag, bad or missing value,
// stray argument), kExitError for other errors and kExitSuccess otherwise.
int RunCommandLine(const std::vector<std::string>& args, const std::vector<CommandSpec>& commands,
                   const std::vector<GroupSummary>& groups, const CliIo& io);

// Returns the exit code for a handler's result.
int ExitCodeFor(const absl::Status& status);

// Returns the help text of one command: usage line, summary, flags.
std::string CommandHelp(const CommandSpec& command);

}  // namespace ty::cli
