// Computes: /api/v1/resourceGroups/{group}/workspaces/{workspace}/computes[/{compute}].

#include <fmt/format.h>

#include "api/names.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/computes.h"

namespace ty::server {
namespace {

constexpr size_t kMaxNamespaceLength = 63;

// Checks a Kubernetes namespace name (an RFC 1123 DNS label).
// TODO: move to src/api beside the other name rules once the agent needs it.
absl::Status ValidateNamespace(std::string_view name) {
  bool valid = !name.empty() && name.size() <= kMaxNamespaceLength &&
               std::isalnum(static_cast<unsigned char>(name.front())) &&
               std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (valid) return absl::OkStatus();
  return InvalidField("namespace",
                      fmt::format("invalid namespace '{}'; use 1 to 63 lowercase letters, digits "
                                  "and '-', starting and ending with a letter or digit",
                                  name));
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
  ASSIGN_OR_RETURN(std::string namespace_name, OptionalString(body, "namespace", "default"));
  RETURN_IF_ERROR(ValidateNamespace(namespace_name));

  store::NewCompute compute{WorkspaceId(request), name, cluster_group, cluster_name,
                            namespace_name};
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
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
