// Computes: /api/v1/resourceGroups/{group}/workspaces/{workspace}/computes[/{compute}].

#include <fmt/format.h>

#include "api/names.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/clusters.h"
#include "store/computes.h"
#include "store/resources.h"

namespace ty::server {
namespace {

// Returns the namespace a compute on the cluster gets. A Kubernetes agent
// reports the one namespace it runs jobs in: an empty request takes it, and
// any other is rejected now rather than failing every job later. Without
// such a report (a local agent, or one that never connected) an empty
// request means "default".
absl::StatusOr<std::string> NamespaceOnCluster(store::Transaction& transaction,
                                               const std::string& cluster_group,
                                               const std::string& cluster_name,
                                               const std::string& requested) {
  std::string cluster_id =
      store::ChildId(store::GroupId(cluster_group), store::kConnectedClusters, cluster_name);
  ASSIGN_OR_RETURN(std::optional<store::Resource> cluster,
                   store::FindResource(transaction, cluster_id));
  std::string served = cluster ? cluster->properties.value("jobNamespace", "") : "";
  if (served.empty()) return requested.empty() ? std::string("default") : requested;
  if (requested.empty() || requested == served) return served;
  return InvalidField(
      "namespace",
      fmt::format("namespace '{}' is not served by cluster '{}': its agent runs jobs in "
                  "namespace '{}' only; attach with --namespace {}, or restart the agent with "
                  "--namespace {}",
                  requested, cluster_name, served, served, requested));
}

std::string WorkspaceId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kWorkspaces,
                        request.Param("workspace"));
}

std::string ComputeId(const http::Request& request) {
  return store::ChildId(WorkspaceId(request), store::kComputes, request.Param("compute"));
}

absl::StatusOr<http::Response> AttachCompute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   ParseJsonObject(request, {"name", "clusterResourceGroup", "clusterName",
                                             "namespace"}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", "give the compute a name"));
  RETURN_IF_ERROR(api::ValidateName("compute", "name", name));
  ASSIGN_OR_RETURN(std::string cluster_name,
                   RequiredString(body, "clusterName", "name the connected cluster to attach"));
  RETURN_IF_ERROR(api::ValidateName("cluster", "clusterName", cluster_name));
  ASSIGN_OR_RETURN(std::string cluster_group,
                   OptionalString(body, "clusterResourceGroup", request.Param("group")));
  RETURN_IF_ERROR(api::ValidateName("resource group", "clusterResourceGroup", cluster_group));
  ASSIGN_OR_RETURN(std::string namespace_name, OptionalString(body, "namespace", ""));
  if (!namespace_name.empty()) {
    RETURN_IF_ERROR(api::ValidateNamespaceName("namespace", namespace_name));
  }

  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(namespace_name,
                   NamespaceOnCluster(transaction, cluster_group, cluster_name, namespace_name));
  store::NewCompute compute{WorkspaceId(request), name, cluster_group, cluster_name,
                            namespace_name};
  ASSIGN_OR_RETURN(store::Resource attached, store::AttachCompute(transaction, compute));
  RETURN_IF_ERROR(transaction.Commit());
  log::Info("attached {} as {}", store::DescribeResource(attached.properties.value("clusterId", "")),
            store::DescribeResource(attached.id));
  return JsonResponse(201, ResourceJson(attached));
}

absl::StatusOr<http::Response> ListComputes(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string workspace_id = WorkspaceId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, workspace_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage computes,
                   store::ListResources(transaction, store::kComputes, workspace_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& compute : computes.items) items.push_back(ResourceJson(compute));
  return JsonResponse(200, ListJson(std::move(items), computes.next_page_token));
}

absl::StatusOr<http::Response> ShowCompute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource compute, store::GetResource(transaction, ComputeId(request)));
  return JsonResponse(200, ResourceJson(compute));
}

absl::StatusOr<http::Response> DetachCompute(ServerContext& context, http::Request& request) {
  std::string id = ComputeId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::DetachCompute(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  log::Info("detached {}", store::DescribeResource(id));
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterComputeRoutes(http::Router& router, ServerContext& context) {
  const std::string collection = "/api/v1/resourceGroups/{group}/workspaces/{workspace}/computes";
  router.Add("POST", collection, Bind(context, AttachCompute));
  router.Add("GET", collection, Bind(context, ListComputes));
  router.Add("GET", collection + "/{compute}", Bind(context, ShowCompute));
  router.Add("DELETE", collection + "/{compute}", Bind(context, DetachCompute));
}

}  // namespace ty::server
