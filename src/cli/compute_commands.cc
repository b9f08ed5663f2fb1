// trainyard ml compute attach|list|show|detach

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/resource_id.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

const std::vector<Column>& ComputeColumns() {
  static const std::vector<Column> kColumns = {
      {"Name", "name"},
      {"ClusterResourceGroup", "properties.clusterResourceGroup"},
      {"Cluster", "properties.clusterName"},
      {"Namespace", "properties.namespace"},
      {"Created", "createdAt"},
  };
  return kColumns;
}

absl::StatusOr<std::string> ComputesPath(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(std::string workspace, context.Workspace());
  return ApiPath({"resourceGroups", group, "workspaces", workspace, "computes"});
}

// Finds the cluster from --cluster and --cluster-resource-group, or from
// --resource-id.
absl::StatusOr<ClusterReference> ClusterToAttach(CommandContext& context,
                                                 const std::string& group) {
  const ParsedFlags& flags = context.flags();
  if (flags.Has("--resource-id")) {
    if (flags.Has("--cluster") || flags.Has("--cluster-resource-group")) {
      return UsageError(
          "--resource-id names the cluster already; drop --cluster and --cluster-resource-group");
    }
    return ParseClusterResourceId(flags.Value("--resource-id"));
  }
  if (!flags.Has("--cluster")) {
    return UsageError("missing required flag --cluster; name the connected cluster to attach");
  }
  return ClusterReference{.resource_group = flags.Value("--cluster-resource-group", group),
                          .name = flags.Value("--cluster")};
}

absl::Status Attach(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ClusterReference cluster, ClusterToAttach(context, group));
  ASSIGN_OR_RETURN(std::string path, ComputesPath(context));
  nlohmann::json body = {{"name", context.flags().Value("--name")},
                         {"clusterResourceGroup", cluster.resource_group},
                         {"clusterName", cluster.name}};
  if (context.flags().Has("--namespace")) body["namespace"] = context.flags().Value("--namespace");

  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json compute, api->Post(path, body));
  context.Print(compute, [&] { return RenderOne(compute, ComputeColumns()); });
  return absl::OkStatus();
}

absl::Status ListComputes(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, ComputesPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json computes, api->ListAll(path));
  context.Print(computes, [&] { return RenderList(computes, ComputeColumns()); });
  return absl::OkStatus();
}

absl::Status ShowCompute(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, ComputesPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json compute,
                   api->Get(path + "/" + http::PercentEncode(context.flags().Value("--name"))));
  context.Print(compute, [&] { return RenderOne(compute, ComputeColumns()); });
  return absl::OkStatus();
}

absl::Status Detach(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, ComputesPath(context));
  ASSIGN_OR_RETURN(std::string workspace, context.Workspace());
  std::string name = context.flags().Value("--name");
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  RETURN_IF_ERROR(
      context.Confirm(fmt::format("detach compute '{}' from workspace '{}'", name, workspace)));
  ASSIGN_OR_RETURN(nlohmann::json result, api->Delete(path + "/" + http::PercentEncode(name)));
  context.Print(result, [&] { return fmt::format("detached compute '{}'\n", name); });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> ComputeCommands() {
  FlagSpec name = NameFlag("name of the compute target");
  return {
      {.path = {"ml", "compute", "attach"},
       .summary = "Attaches a connected cluster with training enabled to a workspace.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag(),
                 {.name = "--cluster",
                  .aliases = {"--cluster-name"},
                  .value_name = "CLUSTER",
                  .help = "name of the connected cluster"},
                 {.name = "--cluster-resource-group",
                  .value_name = "GROUP",
                  .help = "resource group of the cluster; defaults to --resource-group"},
                 {.name = "--resource-id",
                  .value_name = "ID",
                  .help = "the cluster as a resource id, in place of --cluster"},
                 {.name = "--namespace",
                  .value_name = "NAMESPACE",
                  .help = "Kubernetes namespace the jobs run in"},
                 {.name = "--type",
                  .aliases = {"-t"},
                  .choices = {"Kubernetes"},
                  .value_name = "TYPE",
                  .help = "compute type; Kubernetes, the only one, is the default"}},
       .run = Attach},
      {.path = {"ml", "compute", "list"},
       .summary = "Lists the compute targets of a workspace.",
       .flags = {WorkspaceFlag(), ResourceGroupFlag()},
       .run = ListComputes},
      {.path = {"ml", "compute", "show"},
       .summary = "Shows a compute target.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag()},
       .run = ShowCompute},
      {.path = {"ml", "compute", "detach"},
       .summary = "Detaches a compute target that runs no jobs; the cluster stays registered.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag(), YesFlag()},
       .run = Detach},
  };
}

}  // namespace ty::cli
