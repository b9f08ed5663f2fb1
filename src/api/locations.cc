#include "api/locations.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"

namespace ty::api {
namespace {

char ToLower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Lowercases `text` and drops spaces, so "East US" compares equal to "eastus".
std::string LocationKey(std::string_view text) {
  std::string key;
  for (char c : text) {
    if (c != ' ') key.push_back(ToLower(c));
  }
  return key;
}

}  // namespace

const std::vector<std::string>& DefaultLocations() {
  static const auto* const kLocations = new std::vector<std::string>{
      "eastus",        "eastus2",      "westus",        "westus2",
      "westus3",       "centralus",    "northeurope",   "westeurope",
      "uksouth",       "francecentral", "germanywestcentral", "swedencentral",
      "japaneast",     "koreacentral", "southeastasia", "australiaeast",
      "canadacentral", "brazilsouth",  "local"};
  return *kLocations;
}

absl::StatusOr<std::vector<std::string>> ParseLocationList(std::string_view text) {
  constexpr std::string_view kField = "locations";
  std::vector<std::string> locations;
  if (Trim(text).empty()) {
    return InvalidField(kField, "empty location list: give comma-separated names such as "
                                "'eastus,westeurope'");
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view entry = Trim(text.substr(start, comma - start));
    start = comma + 1;

    std::string location;
    for (char c : entry) location.push_back(ToLower(c));
    if (location.empty()) {
      return InvalidField(kField, fmt::format("empty entry in location list '{}': remove the "
                                              "extra comma", text));
    }
    bool alphanumeric = std::all_of(location.begin(), location.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0;
    });
    if (!alphanumeric) {
      return InvalidField(kField, fmt::format("invalid location '{}': use only letters and "
                                              "digits, such as 'eastus'", location));
    }
    if (std::find(locations.begin(), locations.end(), location) != locations.end()) {
      return InvalidField(kField, fmt::format("duplicate location '{}' in list '{}': name it once",
                                              location, text));
    }
    locations.push_back(std::move(location));
  }
  return locations;
}

absl::StatusOr<std::string> ValidateLocation(std::string_view field, std::string_view value,
                                             const std::vector<std::string>& supported) {
  std::string key = LocationKey(value);
  for (const std::string& location : supported) {
    if (!key.empty() && LocationKey(location) == key) return location;
  }
  std::string supported_list = fmt::format("{}", fmt::join(supported, ", "));
  if (value.empty()) {
    return InvalidField(field, fmt::format("missing location: use one of {}", supported_list));
  }
  return InvalidField(field, fmt::format("unsupported location '{}': use one of {}", value,
                                         supported_list));
}

absl::Status LocationMismatchError(std::string_view cluster_name,
                                   std::string_view cluster_location,
                                   std::string_view workspace_name,
                                   std::string_view workspace_location) {
  return FieldError(
      absl::StatusCode::kFailedPrecondition, "clusterName",
      fmt::format("cluster '{}' is in location '{}' but workspace '{}' is in location '{}': "
                  "attach a cluster in '{}' or use a workspace in '{}'",
                  cluster_name, cluster_location, workspace_name, workspace_location,
                  workspace_location, cluster_location));
}

}  // namespace ty::api
