// Extensions: /api/v1/resourceGroups/{group}/connectedClusters/{cluster}/extensions[/{extension}].

#include <fmt/format.h>

#include "api/extension.h"
#include "api/extension_settings.h"
#include "api/names.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/extensions.h"

namespace ty::server {
namespace {

std::string ClusterId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kConnectedClusters,
                        request.Param("cluster"));
}

std::string ExtensionId(const http::Request& request) {
  return store::ChildId(ClusterId(request), store::kExtensions, request.Param("extension"));
}

nlohmann::json SettingsField(const nlohmann::json& body, std::string_view key) {
  auto it = body.find(key);
  return it == body.end() ? nlohmann::json(nullptr) : *it;
}

absl::StatusOr<http::Response> CreateExtension(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   ParseJsonObject(request, {"name", "extensionType", "scope",
                                             std::string(api::kPublicSettingsField),
                                             std::string(api::kProtectedSettingsField)}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", "give the extension a name"));
  RETURN_IF_ERROR(api::ValidateName("extension", "name", name));
  ASSIGN_OR_RETURN(std::string type_text, OptionalString(body, "extensionType"));
  ASSIGN_OR_RETURN(std::string type, api::NormalizeExtensionType("extensionType", type_text));
  ASSIGN_OR_RETURN(std::string scope_text, OptionalString(body, "scope"));
  ASSIGN_OR_RETURN(std::string scope, api::NormalizeScope("scope", scope_text));
  ASSIGN_OR_RETURN(api::ExtensionSettings settings,
                   api::NormalizeSettings(SettingsField(body, api::kPublicSettingsField),
                                          SettingsField(body, api::kProtectedSettingsField)));

  store::NewExtension extension{ClusterId(request), name, type, scope, std::move(settings),
                                context.settings.public_url + "/api/v1/relay"};
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::Resource created, store::CreateExtension(transaction, extension));
  RETURN_IF_ERROR(transaction.Commit());
  context.notifier.Notify(store::ClusterTopic(extension.cluster_id));
  log::Info("created {}", store::DescribeResource(created.id));
  return JsonResponse(201, ResourceJson(created));
}

absl::StatusOr<http::Response> UpdateExtension(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json body,
                   ParseJsonObject(request, {std::string(api::kPublicSettingsField),
                                             std::string(api::kProtectedSettingsField),
                                             "version"}));
  ASSIGN_OR_RETURN(std::optional<int64_t> version, ExpectedVersion(request, body));

  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::Resource updated,
                   store::UpdateExtensionSettings(
                       transaction, ExtensionId(request), SettingsField(body, api::kPublicSettingsField),
                       SettingsField(body, api::kProtectedSettingsField), version));
  RETURN_IF_ERROR(transaction.Commit());
  context.notifier.Notify(store::ClusterTopic(ClusterId(request)));
  log::Info("updated the settings of {}", store::DescribeResource(updated.id));
  return JsonResponse(200, ResourceJson(updated));
}

absl::StatusOr<http::Response> ListExtensions(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  std::string cluster_id = ClusterId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, cluster_id).status());
  ASSIGN_OR_RETURN(store::ResourcePage extensions,
                   store::ListResources(transaction, store::kExtensions, cluster_id, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Resource& extension : extensions.items) items.push_back(ResourceJson(extension));
  return JsonResponse(200, ListJson(std::move(items), extensions.next_page_token));
}

absl::StatusOr<http::Response> ShowExtension(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Resource extension, store::GetResource(transaction, ExtensionId(request)));
  return JsonResponse(200, ResourceJson(extension));
}

absl::StatusOr<http::Response> DeleteExtension(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(bool delete_created, BoolQuery(request, "deleteCreatedResources", false));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::ExtensionDeletion deletion,
                   store::DeleteExtension(transaction, ExtensionId(request), delete_created));
  RETURN_IF_ERROR(transaction.Commit());
  context.notifier.Notify(store::ClusterTopic(ClusterId(request)));
  log::Info("deleting {}: {} deleted now, {} kept", store::DescribeResource(ExtensionId(request)),
            deletion.deleted.size(), deletion.remaining.size());
  return JsonResponse(200, {{"deleted", deletion.deleted},
                            {"deleting", deletion.deleting},
                            {"remaining", deletion.remaining}});
}

}  // namespace

void RegisterExtensionRoutes(http::Router& router, ServerContext& context) {
  const std::string collection =
      "/api/v1/resourceGroups/{group}/connectedClusters/{cluster}/extensions";
  router.Add("POST", collection, Bind(context, CreateExtension));
  router.Add("GET", collection, Bind(context, ListExtensions));
  router.Add("GET", collection + "/{extension}", Bind(context, ShowExtension));
  router.Add("PATCH", collection + "/{extension}", Bind(context, UpdateExtension));
  router.Add("DELETE", collection + "/{extension}", Bind(context, DeleteExtension));
}

}  // namespace ty::server
