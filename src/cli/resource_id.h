#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::cli {

struct ClusterReference {
  std::string resource_group;
  std::string name;
};

// Parses a connected cluster's resource id: Trainyard's
// "/resourceGroups/G/connectedClusters/C" or the Azure form
// "/subscriptions/S/resourceGroups/G/providers/Microsoft.Kubernetes/connectedClusters/C",
// so that `ml compute attach --resource-id` from ported scripts works.
// Segment names match ignoring case. A usage error naming `id` otherwise.
absl::StatusOr<ClusterReference> ParseClusterResourceId(std::string_view id);

}  // namespace ty::cli
