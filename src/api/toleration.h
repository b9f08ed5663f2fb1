#pragma once

// Tolerations of node taints, in the shape of a Kubernetes pod spec:
//
//   {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::api {

struct Toleration {
  std::string key;  // empty with operator "Exists": tolerates every taint
  std::string operator_name = "Equal";  // "Equal" or "Exists"
  std::string value;                    // empty with "Exists"
  std::string effect;  // "NoSchedule", "PreferNoSchedule", "NoExecute"; empty: every effect
  std::optional<int64_t> toleration_seconds;  // only with "NoExecute"

  bool operator==(const Toleration&) const = default;
};

// Checks the rules of the Kubernetes API for one toleration. `field` names
// it in errors, e.g. "tolerations[0]". Errors: kInvalidArgument with the
// field path, e.g. "tolerations[0].operator".
absl::Status ValidateToleration(std::string_view field, const Toleration& toleration);

// Reads and validates a JSON array of tolerations found at `field`; null
// reads as none. Errors: kInvalidArgument with the field path for unknown
// keys, wrong types and every ValidateToleration rule.
absl::StatusOr<std::vector<Toleration>> TolerationsFromJson(std::string_view field,
                                                            const nlohmann::json& json);

// Writes the JSON array above, leaving out empty and unset fields.
nlohmann::json TolerationsToJson(const std::vector<Toleration>& tolerations);

}  // namespace ty::api
