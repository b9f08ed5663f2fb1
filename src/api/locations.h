#pragma once

// Locations of clusters, workspaces and resource groups. The server takes its
// supported list from `--locations a,b,c` and falls back to
// DefaultLocations().

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::api {

// The default supported locations, in the order docs/rest-api.md lists them.
const std::vector<std::string>& DefaultLocations();

// Parses a comma-separated list such as "eastus, westeurope". Entries are
// trimmed and lowercased. Errors: kInvalidArgument (field "locations") for an
// empty list, an empty entry, an entry with characters other than letters and
// digits, or a duplicate.
absl::StatusOr<std::vector<std::string>> ParseLocationList(std::string_view text);

// Returns the supported spelling of `value`. Matching ignores case and spaces,
// so "East US" and "EASTUS" both give "eastus". Errors: kInvalidArgument with
// field `field` that quotes `value` and lists `supported`.
absl::StatusOr<std::string> ValidateLocation(std::string_view field, std::string_view value,
                                             const std::vector<std::string>& supported);

// Returns the error for attaching a cluster to a workspace in another
// location: kFailedPrecondition with field "clusterName", naming both
// resources and both locations.
absl::Status LocationMismatchError(std::string_view cluster_name,
                                   std::string_view cluster_location,
                                   std::string_view workspace_name,
                                   std::string_view workspace_location);

}  // namespace ty::api
