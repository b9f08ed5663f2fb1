#pragma once

// Helpers for reading user YAML into typed fields with errors that name the
// field path. Only .cc files of src/api include this header; it keeps
// yaml-cpp out of the public headers by declaring YAML::Node only.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace ty::api {

// Parses `text` as one YAML document (JSON included). yaml-cpp exceptions are
// caught here. Errors: kInvalidArgument without a field, giving the line and
// column (1-based) of a syntax error.
absl::StatusOr<YAML::Node> LoadYamlDocument(std::string_view text);

// Returns "parent.key", or "key" when `parent` is empty.
std::string JoinFieldPath(std::string_view parent, std::string_view key);

// Describes a node for an error message: "'text'" for a scalar, "a mapping",
// "a list" or "an empty value".
std::string DescribeNode(const YAML::Node& node);

// Checks that `node` is a mapping whose keys are scalars from `allowed`,
// each at most once. Errors: kInvalidArgument with field `field` when it is
// not a mapping, or "<field>.<key>" for an unknown key (the closest allowed
// key suggested) or a duplicate key.
absl::Status CheckMapping(const YAML::Node& node, std::string_view field,
                          const std::vector<std::string>& allowed);

// Returns the text of a scalar. Errors: kInvalidArgument with field `field`
// for a mapping, a list, or an empty value unless `allow_empty`, in which
// case an empty value gives "".
absl::StatusOr<std::string> ReadScalar(const YAML::Node& node, std::string_view field,
                                       bool allow_empty);

// Returns a whole number from `minimum` to `maximum`, written as a plain or
// quoted scalar. Errors: kInvalidArgument with field `field` naming the value
// and the accepted range.
absl::StatusOr<int64_t> ReadInteger(
    const YAML::Node& node, std::string_view field, int64_t minimum,
    int64_t maximum = std::numeric_limits<int64_t>::max());

// Returns a mapping of scalars as strings; an empty value maps to "".
// Errors: kInvalidArgument with field "<field>.<key>" for a nested mapping
// or list, and the CheckMapping errors other than unknown keys.
absl::StatusOr<std::map<std::string, std::string>> ReadScalarMap(const YAML::Node& node,
                                                                 std::string_view field);

}  // namespace ty::api
