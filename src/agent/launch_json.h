#pragma once

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"
#include "agent/executor.h"

namespace ty::agent {

// Converts the `job` object of an `assign` frame (docs/relay.md) into a
// LaunchSpec. Every field is type-checked; kInvalidArgument names the field.
// `code_archive` is left empty: the agent fills it after fetching the blob
// named by the "codeSnapshot" field.
absl::StatusOr<LaunchSpec> LaunchSpecFromJson(const nlohmann::json& job);

// The inverse, used by the server's tests and by the agent's journal.
nlohmann::json LaunchSpecToJson(const LaunchSpec& spec, const std::string& code_snapshot);

}  // namespace ty::agent
