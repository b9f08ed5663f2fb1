// Relay endpoints and message queues that extensions provisioned:
// /api/v1/resourceGroups/{group}/relayEndpoints[/{name}] and .../messageQueues[/{name}].

#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/resources.h"

namespace ty::server {
namespace {

// Each route is instantiated once per collection, `kType` being the
// resource type of its path.
template <const std::string_view& kType>
std::string ItemId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), kType, request.Param("name"));
}

template <const std::string_view& kType>
absl::StatusOr<http::Response> ListProvisioned(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string group_id = store::GroupId(request.Param("group"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, group_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage resources,
                   store::ListResources(transaction, kType, group_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& resource : resources.items) items.push_back(ResourceJson(resource));
  return JsonResponse(200, ListJson(std::move(items), resources.next_page_token));
}

template <const std::string_view& kType>
absl::StatusOr<http::Response> ShowProvisioned(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource resource, store::GetResource(transaction, ItemId<kType>(request)));
  return JsonResponse(200, ResourceJson(resource));
}

template <const std::string_view& kType>
absl::StatusOr<http::Response> DeleteProvisioned(ServerContext& context, http::Request& request) {
  std::string id = ItemId<kType>(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  RETURN_IF_ERROR(store::DeleteResource(transaction, id));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"deleted", {id}}, {"remaining", nlohmann::json::array()}});
}

}  // namespace

void RegisterProvisionedRoutes(http::Router& router, ServerContext& context) {
  const std::string relays = "/api/v1/resourceGroups/{group}/relayEndpoints";
  router.Add("GET", relays, Bind(context, ListProvisioned<store::kRelayEndpoints>));
  router.Add("GET", relays + "/{name}", Bind(context, ShowProvisioned<store::kRelayEndpoints>));
  router.Add("DELETE", relays + "/{name}", Bind(context, DeleteProvisioned<store::kRelayEndpoints>));

  const std::string queues = "/api/v1/resourceGroups/{group}/messageQueues";
  router.Add("GET", queues, Bind(context, ListProvisioned<store::kMessageQueues>));
  router.Add("GET", queues + "/{name}", Bind(context, ShowProvisioned<store::kMessageQueues>));
  router.Add("DELETE", queues + "/{name}", Bind(context, DeleteProvisioned<store::kMessageQueues>));
}

}  // namespace ty::server
