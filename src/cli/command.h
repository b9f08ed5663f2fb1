#pragma once

// A CLI command: its path of words ("k8s-extension create"), its flags and
// its handler, plus the flags that many commands share.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/context.h"
#include "cli/flags.h"

namespace ty::cli {

struct CommandSpec {
  std::vector<std::string> path;  // {"ml", "job", "create"}
  std::string summary;            // one line for help, "Submits a job."
  std::vector<FlagSpec> flags;    // without the global flags, which every command gets
  std::function<absl::Status(CommandContext&)> run;
};

// A one-line description of a command group ({"ml", "job"}) for help.
struct GroupSummary {
  std::vector<std::string> path;
  std::string summary;
};

// Flags that every command takes: --output (-o), --server, --token, --help (-h).
const std::vector<FlagSpec>& GlobalFlags();

// --name (-n): the resource the command acts on.
FlagSpec NameFlag(std::string help);
// --resource-group (-g); optional because `trainyard login` may store a default.
FlagSpec ResourceGroupFlag();
// --location (-l), required.
FlagSpec LocationFlag();
// --workspace (-w, --workspace-name); optional because of the login default.
FlagSpec WorkspaceFlag();
// --yes (-y): skips the confirmation prompt of deletes.
FlagSpec YesFlag();

}  // namespace ty::cli
