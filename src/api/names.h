#pragma once

// Resource names: 1 to 63 characters of letters, digits, '-' and '_',
// starting with a letter or digit. The REST API, the CLI and the agent share
// this rule so a name accepted by one is accepted by all.

#include <string_view>

#include "absl/status/status.h"

namespace ty::api {

inline constexpr size_t kMaxNameLength = 63;

// Returns OK when `name` follows the rule above, or else kInvalidArgument
// with field `field`. The message names `kind` (for example "cluster"),
// quotes `name`, states the rule and points out the first illegal character
// and its position (1-based).
absl::Status ValidateName(std::string_view kind, std::string_view field, std::string_view name);

// Returns OK when `name` is a valid Kubernetes namespace name (an RFC 1123
// DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending
// with a letter or digit), or else kInvalidArgument with field `field`.
absl::Status ValidateNamespaceName(std::string_view field, std::string_view name);

}  // namespace ty::api
