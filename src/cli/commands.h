#pragma once

// The command groups of the CLI, one file each.

#include <vector>

#include "cli/command.h"

namespace ty::cli {

std::vector<CommandSpec> SessionCommands();           // login, health, version
std::vector<CommandSpec> ResourceGroupCommands();     // group
std::vector<CommandSpec> ConnectedClusterCommands();  // connectedk8s
std::vector<CommandSpec> ExtensionCommands();         // k8s-extension
std::vector<CommandSpec> WorkspaceCommands();         // ml workspace
std::vector<CommandSpec> ComputeCommands();           // ml compute
std::vector<CommandSpec> InstanceTypeCommands();      // ml compute instance-type
std::vector<CommandSpec> JobCommands();               // ml job create, list, show, cancel
std::vector<CommandSpec> JobOutputCommands();         // ml job logs, stream, download

// Every command of the CLI.
std::vector<CommandSpec> AllCommands();

// The descriptions of the command groups, for help.
std::vector<GroupSummary> AllGroups();

}  // namespace ty::cli
