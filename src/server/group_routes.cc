// Resource groups: /api/v1/resourceGroups[/{group}].

#include "api/locations.h"
#include "api/names.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/resources.h"

namespace ty::server {
namespace {

absl::StatusOr<http::Response> CreateGroup(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(request, {"name", "location"}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", "give the group a name"));
  RETURN_IF_ERROR(api::ValidateName("resource group", "name", name));
  ASSIGN_OR_RETURN(std::string location_text,
                   RequiredString(body, "location", "pass one of GET /api/v1/locations"));
  ASSIGN_OR_RETURN(std::string location,
                   api::ValidateLocation("location", location_text, context.settings.locations));

  store::Resource group;
  group.type = store::kResourceGroups;
  group.resource_group = name;
  group.name = name;
  group.location = location;
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::InsertResource(transaction, group));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(201, ResourceJson(group));
}

absl::StatusOr<http::Response> ListGroups(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::ResourcePage groups,
                   store::ListResources(transaction, store::kResourceGroups, "", page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& group : groups.items) items.push_back(ResourceJson(group));
  return JsonResponse(200, ListJson(std::move(items), groups.next_page_token));
}

absl::StatusOr<http::Response> ShowGroup(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource group,
                   store::GetResource(transaction, store::GroupId(request.Param("group"))));
  return JsonResponse(200, ResourceJson(group));
}

absl::StatusOr<http::Response> DeleteGroup(ServerContext& context, http::Request& request) {
  std::string id = store::GroupId(request.Param("group"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::DeleteResource(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterGroupRoutes(http::Router& router, ServerContext& context) {
  router.Add("POST", "/api/v1/resourceGroups", Bind(context, CreateGroup));
  router.Add("GET", "/api/v1/resourceGroups", Bind(context, ListGroups));
  router.Add("GET", "/api/v1/resourceGroups/{group}", Bind(context, ShowGroup));
  router.Add("DELETE", "/api/v1/resourceGroups/{group}", Bind(context, DeleteGroup));
}

}  // namespace ty::server
