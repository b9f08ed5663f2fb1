#include "cli/resource_id.h"

#include <vector>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cli/flags.h"

namespace ty::cli {

absl::StatusOr<ClusterReference> ParseClusterResourceId(std::string_view id) {
  std::vector<std::string> segments = absl::StrSplit(std::string(id), '/', absl::SkipEmpty());
  ClusterReference reference;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (absl::EqualsIgnoreCase(segments[i], "resourceGroups")) {
      reference.resource_group = segments[i + 1];
    } else if (absl::EqualsIgnoreCase(segments[i], "connectedClusters")) {
      reference.name = segments[i + 1];
    }
  }
  bool ends_with_cluster = segments.size() >= 2 &&
                           absl::EqualsIgnoreCase(segments[segments.size() - 2], "connectedClusters");
  if (reference.resource_group.empty() || reference.name.empty() || !ends_with_cluster) {
    return UsageError(fmt::format(
        "invalid value '{}' for --resource-id; expected /resourceGroups/GROUP/connectedClusters/"
        "CLUSTER",
        id));
  }
  return reference;
}

}  // namespace ty::cli
