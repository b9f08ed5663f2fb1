#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace ty::cli {

// Parses a YAML document (JSON is valid YAML) into JSON. Plain scalars become
// numbers, booleans (true/false in any case) or null where they read as one;
// quoted scalars stay strings. kInvalidArgument naming `source` (a file
// path) with line and column for malformed YAML.
absl::StatusOr<nlohmann::json> ParseYaml(std::string_view text, std::string_view source);

}  // namespace ty::cli
