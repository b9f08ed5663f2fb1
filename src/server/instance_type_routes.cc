// Instance types of a compute:
// /api/v1/resourceGroups/{group}/workspaces/{workspace}/computes/{compute}/instanceTypes[/{name}].

#include "api/instance_type.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/computes.h"

namespace ty::server {
namespace {

std::string ComputeId(const http::Request& request) {
  std::string workspace = store::ChildId(store::GroupId(request.Param("group")),
                                         store::kWorkspaces, request.Param("workspace"));
  return store::ChildId(workspace, store::kComputes, request.Param("compute"));
}

std::string InstanceTypeId(const http::Request& request) {
  return store::ChildId(ComputeId(request), store::kInstanceTypes, request.Param("name"));
}

absl::StatusOr<http::Response> CreateInstanceType(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   ParseJsonObject(request, {"name", "nodeSelector", "tolerations", "resources"}));
  ASSIGN_OR_RETURN(api::InstanceType instance_type, api::InstanceTypeFromJson(body));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::Resource created,
                   store::CreateInstanceType(transaction, ComputeId(request), instance_type));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(201, ResourceJson(created));
}

absl::StatusOr<http::Response> ListInstanceTypes(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string compute_id = ComputeId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, compute_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage types,
                   store::ListResources(transaction, store::kInstanceTypes, compute_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& type : types.items) items.push_back(ResourceJson(type));
  return JsonResponse(200, ListJson(std::move(items), types.next_page_token));
}

absl::StatusOr<http::Response> ShowInstanceType(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource type, store::GetResource(transaction, InstanceTypeId(request)));
  return JsonResponse(200, ResourceJson(type));
}

absl::StatusOr<http::Response> DeleteInstanceType(ServerContext& context, http::Request& request) {
  std::string id = InstanceTypeId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::DeleteResource(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterInstanceTypeRoutes(http::Router& router, ServerContext& context) {
  const std::string collection =
      "/api/v1/resourceGroups/{group}/workspaces/{workspace}/computes/{compute}/instanceTypes";
  router.Add("POST", collection, Bind(context, CreateInstanceType));
  router.Add("GET", collection, Bind(context, ListInstanceTypes));
  router.Add("GET", collection + "/{name}", Bind(context, ShowInstanceType));
  router.Add("DELETE", collection + "/{name}", Bind(context, DeleteInstanceType));
}

}  // namespace ty::server
