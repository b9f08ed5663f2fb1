#include "store/extensions.h"

#include <map>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "store/clusters.h"

namespace ty::store {
namespace {

bool IsMachineLearningType(std::string_view type) {
  return type == api::kExtensionType || type == api::kCompatibleExtensionType;
}

// Splits "Endpoint=<url>;Name=Value;..." into its parts. The api layer has
// already checked the shape.
std::map<std::string, std::string> ParseConnectionString(std::string_view text) {
  std::map<std::string, std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(';', start), text.size());
    std::string_view part = text.substr(start, end - start);
    size_t equals = part.find('=');
    if (equals != std::string_view::npos) {
      parts[std::string(part.substr(0, equals))] = std::string(part.substr(equals + 1));
    }
    start = end + 1;
  }
  return parts;
}

// A provisioned resource name from the cluster and extension names, kept
// within the 63-character name limit: long pairs are shortened and made
// unique with a hash of the extension id.
std::string ProvisionedName(std::string_view cluster, std::string_view extension,
                            std::string_view extension_id, std::string_view suffix) {
  std::string base = fmt::format("{}-{}", cluster, extension);
  if (base.size() + suffix.size() + 1 > 63) {
    base = fmt::format("{}-{}", base.substr(0, 43), Sha256Hex(extension_id).substr(0, 12));
  }
  return fmt::format("{}-{}", base, suffix);
}

// Records the relay endpoint or message queue of `extension`: the existing
// one a connection string names, or a new one. Returns the entry of
// `provisionedResources`.
absl::StatusOr<nlohmann::json> Provision(Transaction& transaction, const Resource& cluster,
                                         const Resource& extension, std::string_view type,
                                         const std::optional<std::string>& connection_string,
                                         nlohmann::json properties) {
  if (connection_string) {
    std::map<std::string, std::string> parts = ParseConnectionString(*connection_string);
    std::string entity = parts.count("EntityPath") ? parts["EntityPath"] : "";
    // A connection string may name one of this server's own resources in the
    // group by its entity path; anything else is outside this server. Either
    // way the resource is not ours to delete, and the secret parts of the
    // string never reach the id.
    if (!entity.empty()) {
      std::string id = ChildId(cluster.parent_id, type, entity);
      ASSIGN_OR_RETURN(std::optional<Resource> existing, FindResource(transaction, id));
      if (existing) {
        RETURN_IF_ERROR(AddReference(transaction, extension.id, id));
        return nlohmann::json{{"id", id}, {"type", type}, {"created", false}};
      }
    }
    std::string external = parts["Endpoint"];
    if (!entity.empty()) external = fmt::format("{}/{}", external, entity);
    return nlohmann::json{{"id", external}, {"type", type}, {"created", false}};
  }

  Resource resource;
  resource.type = std::string(type);
  resource.resource_group = cluster.resource_group;
  resource.parent_id = cluster.parent_id;
  resource.name = ProvisionedName(cluster.name, extension.name, extension.id,
                                  type == kRelayEndpoints ? "relay" : "queue");
  resource.location = cluster.location;
  properties["entityPath"] = resource.name;
  properties["createdBy"] = extension.id;
  resource.properties = std::move(properties);

  // A resource left behind by an earlier extension of the same name is
  // adopted rather than failing the create; it was not created now.
  ASSIGN_OR_RETURN(std::optional<Resource> leftover,
                   FindResource(transaction, ChildId(resource.parent_id, type, resource.name)));
  bool created = !leftover;
  if (created) RETURN_IF_ERROR(InsertResource(transaction, resource));
  std::string id = created ? resource.id : leftover->id;
  RETURN_IF_ERROR(AddReference(transaction, extension.id, id));
  return nlohmann::json{{"id", id}, {"type", type}, {"created", created}};
}

void WriteSettings(Resource& extension, const api::ExtensionSettings& settings) {
  extension.properties["configurationSettings"] = api::PublicSettingsToJson(settings);
  extension.properties["configurationProtectedSettings"] =
      api::ProtectedSettingKeysToJson(settings);
  extension.secret = api::SettingsToStorageJson(settings);
}

std::string ExtensionId(std::string_view cluster_id, std::string_view name) {
  return ChildId(cluster_id, kExtensions, name);
}

}  // namespace

absl::StatusOr<Resource> CreateExtension(Transaction& transaction, const NewExtension& request) {
  ASSIGN_OR_RETURN(Resource cluster, GetResource(transaction, request.cluster_id));
  ASSIGN_OR_RETURN(std::vector<Resource> existing,
                   ListAllResources(transaction, kExtensions, cluster.id));
  for (const Resource& other : existing) {
    if (other.properties.value("extensionType", "") == request.extension_type &&
        other.name != request.name) {
      return FieldError(absl::StatusCode::kAlreadyExists, "extensionType",
                        fmt::format("{} already has {} of type '{}'; a cluster holds one "
                                    "extension of each type, so update that one instead",
                                    DescribeResource(cluster.id), DescribeResource(other.id),
                                    request.extension_type));
    }
  }

  Resource extension;
  extension.type = kExtensions;
  extension.resource_group = cluster.resource_group;
  extension.parent_id = cluster.id;
  extension.name = request.name;
  extension.properties = {{"extensionType", request.extension_type},
                          {"scope", request.scope},
                          {"installState", api::InstallStateName(api::InstallState::kPending)},
                          {"statuses", nlohmann::json::array()},
                          {"provisionedResources", nlohmann::json::array()}};
  WriteSettings(extension, request.settings);
  RETURN_IF_ERROR(InsertResource(transaction, extension));

  // The extension row must exist before references to it can be recorded.
  ASSIGN_OR_RETURN(nlohmann::json relay,
                   Provision(transaction, cluster, extension, kRelayEndpoints,
                             request.settings.relay_connection_string,
                             {{"endpoint", request.relay_url}}));
  ASSIGN_OR_RETURN(nlohmann::json queue,
                   Provision(transaction, cluster, extension, kMessageQueues,
                             request.settings.service_bus_connection_string,
                             nlohmann::json::object()));
  extension.properties["provisionedResources"] = {relay, queue};
  RETURN_IF_ERROR(RewriteNewResource(transaction, extension));
  return extension;
}

absl::StatusOr<Resource> UpdateExtensionSettings(Transaction& transaction,
                                                 std::string_view extension_id,
                                                 const nlohmann::json& patch_public,
                                                 const nlohmann::json& patch_protected,
                                                 std::optional<int64_t> expected_version) {
  ASSIGN_OR_RETURN(Resource extension, GetResource(transaction, extension_id));
  if (extension.properties.value("installState", "") ==
      api::InstallStateName(api::InstallState::kDeleting)) {
    return absl::FailedPreconditionError(
        fmt::format("{} is being deleted; wait until the delete finishes and create it again",
                    DescribeResource(extension_id)));
  }
  ASSIGN_OR_RETURN(api::ExtensionSettings current, StoredSettings(extension));
  ASSIGN_OR_RETURN(api::ExtensionSettings merged,
                   api::MergeSettings(current, patch_public, patch_protected));

  // Changed settings must be applied by the agent again, so the extension
  // is not Installed until the agent reports it Installed again.
  if (!(merged == current)) {
    extension.properties["installState"] = api::InstallStateName(api::InstallState::kPending);
  }
  WriteSettings(extension, merged);
  RETURN_IF_ERROR(UpdateResource(transaction, extension, expected_version));
  return extension;
}

absl::StatusOr<ExtensionDeletion> DeleteExtension(Transaction& transaction,
                                                  std::string_view extension_id,
                                                  bool delete_created_resources) {
  ASSIGN_OR_RETURN(Resource extension, GetResource(transaction, extension_id));
  ASSIGN_OR_RETURN(Resource cluster, GetResource(transaction, extension.parent_id));

  ExtensionDeletion result;
  RETURN_IF_ERROR(RemoveReferences(transaction, extension.id));
  for (const nlohmann::json& entry : extension.properties.value("provisionedResources",
                                                                nlohmann::json::array())) {
    std::string id = entry.value("id", "");
    bool created = entry.value("created", false);
    ASSIGN_OR_RETURN(std::optional<Resource> resource, FindResource(transaction, id));
    if (!resource) continue;  // outside this server, or deleted already
    ASSIGN_OR_RETURN(std::vector<std::string> users, Dependants(transaction, id));
    if (created && delete_created_resources && users.empty()) {
      RETURN_IF_ERROR(DeleteResource(transaction, id));
      result.deleted.push_back(id);
    } else {
      result.remaining.push_back(id);
    }
  }
  extension.properties["provisionedResources"] = nlohmann::json::array();

  // Without an agent ever connected nothing was installed, so nothing has to
  // be removed from the cluster.
  if (cluster.properties.value("connectivityStatus", "") == kConnecting) {
    RETURN_IF_ERROR(DeleteResource(transaction, extension.id));
    result.deleted.push_back(extension.id);
  } else {
    extension.properties["installState"] = api::InstallStateName(api::InstallState::kDeleting);
    RETURN_IF_ERROR(UpdateResource(transaction, extension));
    result.deleting.push_back(extension.id);
  }
  return result;
}

absl::Status FinishExtensionDeletion(Database& database, std::string_view cluster_id,
                                     std::string_view extension_name) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  std::string id = ExtensionId(cluster_id, extension_name);
  ASSIGN_OR_RETURN(std::optional<Resource> extension, FindResource(transaction, id));
  if (!extension) return absl::OkStatus();
  if (extension->properties.value("installState", "") !=
      api::InstallStateName(api::InstallState::kDeleting)) {
    return absl::FailedPreconditionError(
        fmt::format("{} is not being deleted, so it is kept", DescribeResource(id)));
  }
  RETURN_IF_ERROR(DeleteResource(transaction, id));
  return transaction.Commit();
}

absl::Status UpdateExtensionStatus(Database& database, std::string_view cluster_id,
                                   std::string_view extension_name, api::InstallState state,
                                   const nlohmann::json& statuses) {
  ASSIGN_OR_RETURN(std::vector<api::ComponentStatus> parsed,
                   api::ComponentStatusesFromJson(statuses));
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  ASSIGN_OR_RETURN(Resource extension,
                   GetResource(transaction, ExtensionId(cluster_id, extension_name)));

  bool deleting = extension.properties.value("installState", "") ==
                  api::InstallStateName(api::InstallState::kDeleting);
  if (!deleting || state == api::InstallState::kFailed) {
    extension.properties["installState"] = api::InstallStateName(state);
  }
  extension.properties["statuses"] = api::ComponentStatusesToJson(parsed);
  RETURN_IF_ERROR(UpdateResource(transaction, extension));
  return transaction.Commit();
}

absl::StatusOr<api::ExtensionSettings> StoredSettings(const Resource& extension) {
  absl::StatusOr<api::ExtensionSettings> settings = api::SettingsFromStorageJson(extension.secret);
  if (!settings.ok()) {
    return absl::InternalError(fmt::format("stored settings of {} are unreadable: {}",
                                           DescribeResource(extension.id),
                                           std::string(settings.status().message())));
  }
  return settings;
}

absl::Status CheckTrainingEnabled(Transaction& transaction, const Resource& cluster,
                                  std::string_view action, std::string_view field,
                                  bool require_installed) {
  ASSIGN_OR_RETURN(std::vector<Resource> extensions,
                   ListAllResources(transaction, kExtensions, cluster.id));
  const Resource* found = nullptr;
  for (const Resource& extension : extensions) {
    if (IsMachineLearningType(extension.properties.value("extensionType", ""))) {
      found = &extension;
    }
  }
  std::string cluster_flags = fmt::format("--cluster-type connectedClusters --cluster-name {} "
                                          "--resource-group {}",
                                          cluster.name, cluster.resource_group);
  if (found == nullptr) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, field,
        fmt::format("to {}, {} needs an extension with enableTraining=True, but it has none; "
                    "install one with `trainyard k8s-extension create {} --name ml "
                    "--extension-type {} --scope cluster --configuration-settings "
                    "enableTraining=True`",
                    action, DescribeResource(cluster.id), cluster_flags, api::kExtensionType));
  }

  ASSIGN_OR_RETURN(api::ExtensionSettings settings, StoredSettings(*found));
  if (!settings.enable_training) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, field,
        fmt::format("to {}, extension '{}' on {} needs enableTraining=True, but it is False; "
                    "enable it with `trainyard k8s-extension update {} --name {} "
                    "--configuration-settings enableTraining=True`",
                    action, found->name, DescribeResource(cluster.id), cluster_flags,
                    found->name));
  }

  std::string state = found->properties.value("installState", "");
  bool usable = state == api::InstallStateName(api::InstallState::kInstalled) ||
                (!require_installed && state != api::InstallStateName(api::InstallState::kFailed) &&
                 state != api::InstallStateName(api::InstallState::kDeleting));
  if (!usable) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, field,
        fmt::format("to {}, extension '{}' on {} must be Installed, but its installState is "
                    "{}; make sure the cluster's agent is running and wait until "
                    "`trainyard k8s-extension show {} --name {}` reports Installed",
                    action, found->name, DescribeResource(cluster.id), state, cluster_flags,
                    found->name));
  }
  return absl::OkStatus();
}

}  // namespace ty::store
