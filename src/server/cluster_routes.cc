// Connected clusters: /api/v1/resourceGroups/{group}/connectedClusters[/{cluster}].

#include <fmt/format.h>

#include "api/locations.h"
#include "api/names.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/clusters.h"

namespace ty::server {
namespace {

std::string ClusterId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kConnectedClusters,
                        request.Param("cluster"));
}

absl::StatusOr<http::Response> CreateCluster(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(request, {"name", "location", "kind"}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", "give the cluster a name"));
  RETURN_IF_ERROR(api::ValidateName("cluster", "name", name));
  ASSIGN_OR_RETURN(std::string location_text,
                   RequiredString(body, "location", "pass one of GET /api/v1/locations"));
  ASSIGN_OR_RETURN(std::string location,
                   api::ValidateLocation("location", location_text, context.settings.locations));
  ASSIGN_OR_RETURN(std::string kind, OptionalString(body, "kind", "kubernetes"));
  if (kind != "kubernetes" && kind != "local") {
    return InvalidField("kind", fmt::format("invalid kind '{}'; use kubernetes or local", kind));
  }

  store::NewCluster cluster{request.Param("group"), name, location, kind};
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::CreatedCluster created, store::CreateCluster(transaction, cluster));
  RETURN_IF_ERROR(transaction.Commit());
  log::Info("registered {}", store::DescribeResource(created.resource.id));

  nlohmann::json json = ResourceJson(created.resource);
  json["connectionString"] =
      fmt::format("Endpoint={};Cluster={}/{};Credential={}", context.settings.public_url,
                  cluster.resource_group, cluster.name, created.credential);
  return JsonResponse(201, json);
}

absl::StatusOr<http::Response> ListClusters(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string group_id = store::GroupId(request.Param("group"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, group_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage clusters,
                   store::ListResources(transaction, store::kConnectedClusters, group_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& cluster : clusters.items) items.push_back(ResourceJson(cluster));
  return JsonResponse(200, ListJson(std::move(items), clusters.next_page_token));
}

absl::StatusOr<http::Response> ShowCluster(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource cluster, store::GetResource(transaction, ClusterId(request)));
  return JsonResponse(200, ResourceJson(cluster));
}

absl::StatusOr<http::Response> DeleteCluster(ServerContext& context, http::Request& request) {
  std::string id = ClusterId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::DeleteResource(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  context.notifier.Notify(store::ClusterTopic(id));
  log::Info("deleted {}", store::DescribeResource(id));
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterClusterRoutes(http::Router& router, ServerContext& context) {
  const std::string collection = "/api/v1/resourceGroups/{group}/connectedClusters";
  router.Add("POST", collection, Bind(context, CreateCluster));
  router.Add("GET", collection, Bind(context, ListClusters));
  router.Add("GET", collection + "/{cluster}", Bind(context, ShowCluster));
  router.Add("DELETE", collection + "/{cluster}", Bind(context, DeleteCluster));
}

}  // namespace ty::server
