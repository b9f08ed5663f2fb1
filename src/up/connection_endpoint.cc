#include "up/connection_endpoint.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ty::up {

std::string WithEndpoint(std::string_view connection, std::string_view url) {
  const std::string endpoint = "Endpoint=" + std::string(url);
  std::vector<std::string> parts;
  bool replaced = false;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(connection.data(), connection.size()), ';',
                      absl::SkipEmpty())) {
    if (absl::StartsWith(part, "Endpoint=")) {
      if (!replaced) parts.push_back(endpoint);
      replaced = true;
      continue;
    }
    parts.emplace_back(part);
  }
  if (!replaced) parts.insert(parts.begin(), endpoint);
  return absl::StrJoin(parts, ";");
}

}  // namespace ty::up
