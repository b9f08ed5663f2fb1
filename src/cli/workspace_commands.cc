// trainyard ml workspace create|list|show|delete

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

const std::vector<Column>& WorkspaceColumns() {
  static const std::vector<Column> kColumns = {{"Name", "name"},
                                               {"ResourceGroup", "resourceGroup"},
                                               {"Location", "location"},
                                               {"Created", "createdAt"}};
  return kColumns;
}

std::string WorkspacesPath(const std::string& group) {
  return ApiPath({"resourceGroups", group, "workspaces"});
}

absl::Status CreateWorkspace(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  nlohmann::json body = {{"name", context.flags().Value("--name")},
                         {"location", context.flags().Value("--location")}};
  ASSIGN_OR_RETURN(nlohmann::json workspace, api->Post(WorkspacesPath(group), body));
  context.Print(workspace, [&] { return RenderOne(workspace, WorkspaceColumns()); });
  return absl::OkStatus();
}

absl::Status ListWorkspaces(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json workspaces, api->ListAll(WorkspacesPath(group)));
  context.Print(workspaces, [&] { return RenderList(workspaces, WorkspaceColumns()); });
  return absl::OkStatus();
}

absl::Status ShowWorkspace(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(
      nlohmann::json workspace,
      api->Get(ApiPath({"resourceGroups", group, "workspaces", context.flags().Value("--name")})));
  context.Print(workspace, [&] { return RenderOne(workspace, WorkspaceColumns()); });
  return absl::OkStatus();
}

absl::Status DeleteWorkspace(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  std::string name = context.flags().Value("--name");
  RETURN_IF_ERROR(
      context.Confirm(fmt::format("delete workspace '{}' in resource group '{}'", name, group)));
  ASSIGN_OR_RETURN(nlohmann::json result,
                   api->Delete(ApiPath({"resourceGroups", group, "workspaces", name})));
  context.Print(result, [&] { return fmt::format("deleted workspace '{}'\n", name); });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> WorkspaceCommands() {
  return {
      {.path = {"ml", "workspace", "create"},
       .summary = "Creates an ML workspace.",
       .flags = {NameFlag("name of the workspace"), ResourceGroupFlag(), LocationFlag()},
       .run = CreateWorkspace},
      {.path = {"ml", "workspace", "list"},
       .summary = "Lists the workspaces of a resource group.",
       .flags = {ResourceGroupFlag()},
       .run = ListWorkspaces},
      {.path = {"ml", "workspace", "show"},
       .summary = "Shows a workspace.",
       .flags = {NameFlag("name of the workspace"), ResourceGroupFlag()},
       .run = ShowWorkspace},
      {.path = {"ml", "workspace", "delete"},
       .summary = "Deletes a workspace that has no attached compute.",
       .flags = {NameFlag("name of the workspace"), ResourceGroupFlag(), YesFlag()},
       .run = DeleteWorkspace},
  };
}

}  // namespace ty::cli
