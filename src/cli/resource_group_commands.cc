// trainyard group create|list|show|delete

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

const std::vector<Column>& GroupColumns() {
  static const std::vector<Column> kColumns = {
      {"Name", "name"}, {"Location", "location"}, {"Created", "createdAt"}};
  return kColumns;
}

absl::Status CreateGroup(CommandContext& context) {
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  nlohmann::json body = {{"name", context.flags().Value("--name")},
                         {"location", context.flags().Value("--location")}};
  ASSIGN_OR_RETURN(nlohmann::json group, api->Post(ApiPath({"resourceGroups"}), body));
  context.Print(group, [&] { return RenderOne(group, GroupColumns()); });
  return absl::OkStatus();
}

absl::Status ListGroups(CommandContext& context) {
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json groups, api->ListAll(ApiPath({"resourceGroups"})));
  context.Print(groups, [&] { return RenderList(groups, GroupColumns()); });
  return absl::OkStatus();
}

absl::Status ShowGroup(CommandContext& context) {
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json group,
                   api->Get(ApiPath({"resourceGroups", context.flags().Value("--name")})));
  context.Print(group, [&] { return RenderOne(group, GroupColumns()); });
  return absl::OkStatus();
}

absl::Status DeleteGroup(CommandContext& context) {
  std::string name = context.flags().Value("--name");
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  RETURN_IF_ERROR(context.Confirm("delete resource group '" + name + "'"));
  ASSIGN_OR_RETURN(nlohmann::json result, api->Delete(ApiPath({"resourceGroups", name})));
  context.Print(result, [&] { return "deleted resource group '" + name + "'\n"; });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> ResourceGroupCommands() {
  return {
      {.path = {"group", "create"},
       .summary = "Creates a resource group, the container of clusters and workspaces.",
       .flags = {NameFlag("name of the resource group"), LocationFlag()},
       .run = CreateGroup},
      {.path = {"group", "list"}, .summary = "Lists the resource groups.", .run = ListGroups},
      {.path = {"group", "show"},
       .summary = "Shows a resource group.",
       .flags = {NameFlag("name of the resource group")},
       .run = ShowGroup},
      {.path = {"group", "delete"},
       .summary = "Deletes an empty resource group.",
       .flags = {NameFlag("name of the resource group"), YesFlag()},
       .run = DeleteGroup},
  };
}

}  // namespace ty::cli
