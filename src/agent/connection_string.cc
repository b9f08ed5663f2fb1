#include "agent/connection_string.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ty::agent {

absl::StatusOr<ConnectionString> ParseConnectionString(std::string_view text) {
  ConnectionString result;
  for (absl::string_view part : absl::StrSplit(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())), ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "connection string: part '", part.substr(0, 40),
          "' has no '=': expected Endpoint=...;Cluster=...;Credential=..."));
    }
    std::string key = absl::AsciiStrToLower(part.substr(0, equals));
    absl::string_view value = part.substr(equals + 1);
    if (key == "endpoint") {
      result.endpoint = std::string(absl::StripSuffix(value, "/"));
    } else if (key == "cluster") {
      result.cluster_id = std::string(value);
    } else if (key == "credential") {
      result.credential = std::string(value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "connection string: unknown key '", key,
          "': expected Endpoint, Cluster and Credential"));
    }
  }
  if (result.endpoint.empty()) {
    return absl::InvalidArgumentError("connection string: missing Endpoint");
  }
  if (!absl::StartsWith(result.endpoint, "http://") &&
      !absl::StartsWith(result.endpoint, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("connection string: Endpoint '",
                                                   result.endpoint,
                                                   "' must start with http:// or https://"));
  }
  std::vector<std::string> cluster = absl::StrSplit(result.cluster_id, '/');
  if (cluster.size() != 2 || cluster[0].empty() || cluster[1].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connection string: Cluster '", result.cluster_id, "' must be <group>/<cluster>"));
  }
  if (result.credential.empty()) {
    return absl::InvalidArgumentError("connection string: missing Credential");
  }
  return result;
}

}  // namespace ty::agent
