#pragma once

// Extensions on connected clusters, with the relay endpoint and message queue
// that creating one provisions, and the state the agent reports.
//
// Extension `properties` (returned by the API): extensionType, scope,
// installState, statuses, provisionedResources ([{"id", "type", "created"}]),
// configurationSettings (effective public settings), and
// configurationProtectedSettings (the names of the secrets that are set).
// `secret` holds api::SettingsToStorageJson(settings), secrets included, for
// the relay to send to the agent.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "api/extension.h"
#include "api/extension_settings.h"
#include "store/database.h"
#include "store/resources.h"

namespace ty::store {

struct NewExtension {
  std::string cluster_id;
  std::string name;            // already validated
  std::string extension_type;  // canonical, from api::NormalizeExtensionType
  std::string scope;           // canonical, from api::NormalizeScope
  api::ExtensionSettings settings;
  // The URL agents dial, recorded on a relay endpoint this creates.
  std::string relay_url;
};

// Creates the extension in state Pending. Unless the settings name an
// existing relay endpoint or message queue by connection string, creates one
// of each in the cluster's resource group; either way the extension refers
// to them, so they cannot be deleted while it exists.
// Errors: kNotFound for a missing cluster; kAlreadyExists when the name is
// taken or the cluster already has an extension of this type.
absl::StatusOr<Resource> CreateExtension(Transaction& transaction, const NewExtension& extension);

// Merges the patches into the stored settings key by key (api::MergeSettings)
// and stores the result. `expected_version` as for UpdateResource.
// Errors: kNotFound, kAborted, kInvalidArgument from the merge,
// kFailedPrecondition while the extension is being deleted.
absl::StatusOr<Resource> UpdateExtensionSettings(Transaction& transaction,
                                                 std::string_view extension_id,
                                                 const nlohmann::json& patch_public,
                                                 const nlohmann::json& patch_protected,
                                                 std::optional<int64_t> expected_version);

struct ExtensionDeletion {
  std::vector<std::string> deleted;    // ids deleted now
  std::vector<std::string> deleting;   // the extension, when its agent must remove it first
  std::vector<std::string> remaining;  // provisioned resources kept
};

// Deletes the extension. When its cluster's agent has never connected,
// nothing is installed and the record goes at once; otherwise the extension
// moves to Deleting and FinishExtensionDeletion drops it once the agent
// reports its components removed. The relay endpoint and message queue it
// created are deleted now when `delete_created_resources`, otherwise kept;
// resources it only referred to are always kept.
// Errors: kNotFound.
absl::StatusOr<ExtensionDeletion> DeleteExtension(Transaction& transaction,
                                                  std::string_view extension_id,
                                                  bool delete_created_resources);

// Drops the record of an extension in state Deleting. Dropping one that is
// already gone is OK, so a repeated agent report is harmless.
absl::Status FinishExtensionDeletion(Database& database, std::string_view cluster_id,
                                     std::string_view extension_name);

// Records the install state and per-component statuses the agent reported for
// the extension `extension_name` on cluster `cluster_id`. While the
// extension is Deleting, only a Failed state is taken over. Errors:
// kNotFound, kInvalidArgument for statuses that do not parse.
absl::Status UpdateExtensionStatus(Database& database, std::string_view cluster_id,
                                   std::string_view extension_name, api::InstallState state,
                                   const nlohmann::json& statuses);

// Returns the effective settings stored for `extension`, secrets included.
absl::StatusOr<api::ExtensionSettings> StoredSettings(const Resource& extension);

// Returns OK when `cluster` has an extension with enableTraining=True in
// state Installed, or, unless `require_installed`, in any state but Failed
// and Deleting (a settings update leaves it Pending until the agent applies
// it). Otherwise kFailedPrecondition with field `field`: the message states
// that `action` ("attach it as a compute", "run jobs") needs
// enableTraining=True on an installed extension and gives the exact
// `trainyard k8s-extension` command that fixes it.
absl::Status CheckTrainingEnabled(Transaction& transaction, const Resource& cluster,
                                  std::string_view action, std::string_view field,
                                  bool require_installed = true);

}  // namespace ty::store
