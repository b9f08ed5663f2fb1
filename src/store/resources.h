#pragma once

// Generic storage of the resource model: resource groups, connected clusters,
// extensions, relay endpoints, message queues, workspaces, computes and
// instance types all live in one `resources` table with indexed key columns
// (id, type, group, parent, name), a JSON `properties` column that the API
// returns, a JSON `secret` column that it never returns, and a version that
// grows with every change.
//
// Ids follow the REST paths: "/resourceGroups/rg", then
// "/resourceGroups/rg/connectedClusters/c1", then
// "/resourceGroups/rg/connectedClusters/c1/extensions/ml". A resource's
// parent is the id it extends; a group has none. A resource may also refer
// to another (a compute to its cluster, an extension to its relay endpoint):
// neither a parent with children nor a resource that is referred to can be
// deleted.
//
// Every function here runs inside the caller's Transaction, so a route can
// combine several changes into one commit.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/migrations.h"

namespace ty::store {

// Resource types, as they appear in ids and in the API's `type` field.
inline constexpr std::string_view kResourceGroups = "resourceGroups";
inline constexpr std::string_view kConnectedClusters = "connectedClusters";
inline constexpr std::string_view kExtensions = "extensions";
inline constexpr std::string_view kRelayEndpoints = "relayEndpoints";
inline constexpr std::string_view kMessageQueues = "messageQueues";
inline constexpr std::string_view kWorkspaces = "workspaces";
inline constexpr std::string_view kComputes = "computes";
inline constexpr std::string_view kInstanceTypes = "instanceTypes";

struct Resource {
  std::string id;
  std::string type;
  std::string resource_group;
  std::string parent_id;  // empty for a resource group
  std::string name;
  std::string location;   // empty where the type has none
  nlohmann::json properties = nlohmann::json::object();
  nlohmann::json secret = nlohmann::json::object();  // never part of API output
  int64_t version = 0;
  int64_t created_at = 0;  // milliseconds since the epoch
  int64_t updated_at = 0;
};

// "/resourceGroups/<group>".
std::string GroupId(std::string_view group);
// "<parent_id>/<type>/<name>".
std::string ChildId(std::string_view parent_id, std::string_view type, std::string_view name);

// The noun for a type in messages: "connected cluster" for
// "connectedClusters"; the type itself for an unknown one.
std::string ResourceNoun(std::string_view type);

// Describes the resource with id `id` for messages, naming its parents:
// "extension 'ml' of connected cluster 'c1' in resource group 'rg'".
std::string DescribeResource(std::string_view id);

// The migrations that create the resource tables.
std::vector<Migration> ResourceMigrations();

// Returns the resource, or kNotFound with a message that describes it.
absl::StatusOr<Resource> GetResource(Transaction& transaction, std::string_view id);

// Returns the resource or nullopt.
absl::StatusOr<std::optional<Resource>> FindResource(Transaction& transaction,
                                                     std::string_view id);

// Inserts `resource` with version 1 and both timestamps set to now, filling
// `id` from parent, type and name, and writes those back into `resource`.
// Errors: kAlreadyExists naming the resource when the id is taken,
// kFailedPrecondition when the parent does not exist.
absl::Status InsertResource(Transaction& transaction, Resource& resource);

// Writes the location, properties and secret of `resource`, increments its
// version and sets `updated_at`; `resource` gets the new values. When
// `expected_version` is set and differs from the stored version the update
// is rejected with kAborted (field "version"). kNotFound when it is gone.
absl::Status UpdateResource(Transaction& transaction, Resource& resource,
                            std::optional<int64_t> expected_version = std::nullopt);

// Writes the properties and secret of a resource inserted earlier in the
// same transaction without starting a new version, for resources whose
// properties name rows created after them.
absl::Status RewriteNewResource(Transaction& transaction, const Resource& resource);

// Deletes the resource. Errors: kNotFound; kFailedPrecondition naming what
// must be removed first when it has children or other resources refer to it.
absl::Status DeleteResource(Transaction& transaction, std::string_view id);

// Returns the ids of the resource's children and of the resources that refer
// to it, children first, each sorted.
absl::StatusOr<std::vector<std::string>> Dependants(Transaction& transaction, std::string_view id);

// Records that `from_id` uses `to_id`, which then cannot be deleted.
absl::Status AddReference(Transaction& transaction, std::string_view from_id,
                          std::string_view to_id);
// Removes every reference held by `from_id`.
absl::Status RemoveReferences(Transaction& transaction, std::string_view from_id);
// Returns the ids of resources that refer to `to_id`, sorted.
absl::StatusOr<std::vector<std::string>> ReferencesTo(Transaction& transaction,
                                                      std::string_view to_id);

// Pages through a collection sorted by name. The page token is opaque to
// clients; an empty one starts at the beginning.
struct PageRequest {
  std::string page_token;
  int page_size = 100;
};

struct ResourcePage {
  std::vector<Resource> items;
  std::string next_page_token;  // empty on the last page
};

// Lists resources of `type` under `parent_id` (empty for resource groups).
// Errors: kInvalidArgument (field "pageToken") for a token this store did not
// issue.
absl::StatusOr<ResourcePage> ListResources(Transaction& transaction, std::string_view type,
                                           std::string_view parent_id, const PageRequest& page);

// Lists every resource of `type` under `parent_id`, sorted by name.
absl::StatusOr<std::vector<Resource>> ListAllResources(Transaction& transaction,
                                                       std::string_view type,
                                                       std::string_view parent_id);

// Encodes and decodes page tokens. A token wraps the sort key of the last
// item returned, prefixed with `kind` so a token of one list is rejected by
// another. Errors: kInvalidArgument with field "pageToken".
std::string EncodePageToken(std::string_view kind, std::string_view key);
absl::StatusOr<std::string> DecodePageToken(std::string_view kind, std::string_view token);

}  // namespace ty::store
