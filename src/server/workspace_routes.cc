// Workspaces: /api/v1/resourceGroups/{group}/workspaces[/{workspace}].

#include "api/locations.h"
#include "api/names.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/resources.h"

namespace ty::server {
namespace {

std::string WorkspaceId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kWorkspaces,
                        request.Param("workspace"));
}

absl::StatusOr<http::Response> CreateWorkspace(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(request, {"name", "location"}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", "give the workspace a name"));
  RETURN_IF_ERROR(api::ValidateName("workspace", "name", name));
  ASSIGN_OR_RETURN(std::string location_text,
                   RequiredString(body, "location", "pass one of GET /api/v1/locations"));
  ASSIGN_OR_RETURN(std::string location,
                   api::ValidateLocation("location", location_text, context.settings.locations));

  store::Resource workspace;
  workspace.type = store::kWorkspaces;
  workspace.resource_group = request.Param("group");
  workspace.parent_id = store::GroupId(workspace.resource_group);
  workspace.name = name;
  workspace.location = location;
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::InsertResource(transaction, workspace));
  RETURN_IF_ERROR(transaction.Commit());
  log::Info("created {}", store::DescribeResource(workspace.id));
  return JsonResponse(201, ResourceJson(workspace));
}

absl::StatusOr<http::Response> ListWorkspaces(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string group_id = store::GroupId(request.Param("group"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, group_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage workspaces,
                   store::ListResources(transaction, store::kWorkspaces, group_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& workspace : workspaces.items) items.push_back(ResourceJson(workspace));
  return JsonResponse(200, ListJson(std::move(items), workspaces.next_page_token));
}

absl::StatusOr<http::Response> ShowWorkspace(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource workspace, store::GetResource(transaction, WorkspaceId(request)));
  return JsonResponse(200, ResourceJson(workspace));
}

absl::StatusOr<http::Response> DeleteWorkspace(ServerContext& context, http::Request& request) {
  std::string id = WorkspaceId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  // The workspace's job records go with it; its computes must be detached
  // first, which in turn needs every job on them to be final.
  RETURN_IF_ERROR(store::DeleteResource(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  log::Info("deleted {}", store::DescribeResource(id));
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterWorkspaceRoutes(http::Router& router, ServerContext& context) {
  const std::string collection = "/api/v1/resourceGroups/{group}/workspaces";
  router.Add("POST", collection, Bind(context, CreateWorkspace));
  router.Add("GET", collection, Bind(context, ListWorkspaces));
  router.Add("GET", collection + "/{workspace}", Bind(context, ShowWorkspace));
  router.Add("DELETE", collection + "/{workspace}", Bind(context, DeleteWorkspace));
}

}  // namespace ty::server
