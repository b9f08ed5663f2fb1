#include "cli/commands.h"

namespace ty::cli {

std::vector<CommandSpec> AllCommands() {
  std::vector<CommandSpec> commands;
  for (auto group : {SessionCommands, ResourceGroupCommands, ConnectedClusterCommands,
                     ExtensionCommands, WorkspaceCommands, ComputeCommands, InstanceTypeCommands,
                     JobCommands, JobOutputCommands}) {
    std::vector<CommandSpec> more = group();
    commands.insert(commands.end(), more.begin(), more.end());
  }
  return commands;
}

std::vector<GroupSummary> AllGroups() {
  return {
      {{"group"}, "Manage resource groups."},
      {{"connectedk8s"}, "Register clusters and machines whose agents connect to the server."},
      {{"k8s-extension"}, "Install and configure the machine-learning extension on a cluster."},
      {{"ml"}, "Manage workspaces, compute targets and jobs."},
      {{"ml", "workspace"}, "Manage ML workspaces."},
      {{"ml", "compute"}, "Attach clusters to workspaces and manage their instance types."},
      {{"ml", "compute", "instance-type"}, "Manage the instance types of a compute target."},
      {{"ml", "job"}, "Submit jobs and follow their status, logs and artifacts."},
  };
}

}  // namespace ty::cli
