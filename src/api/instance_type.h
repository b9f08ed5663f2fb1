#pragma once

// Instance types: a name mapped to resource requests and limits (CPU, memory,
// NVIDIA GPUs) and a node selector. JSON shape, as in the REST API:
//
//   {"name": "gpu-small", "nodeSelector": {"accelerator": "a100"},
//    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml",
//                     "effect": "NoSchedule"}],
//    "resources": {"requests": {"cpu": "4", "memory": "16Gi"},
//                  "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1}}}
//
// "tolerations" is optional and left out when empty.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/toleration.h"

namespace ty::api {

inline constexpr std::string_view kCpuResource = "cpu";
inline constexpr std::string_view kMemoryResource = "memory";
inline constexpr std::string_view kGpuResource = "nvidia.com/gpu";

// Name of the instance type a job gets when it names none.
inline constexpr std::string_view kDefaultInstanceTypeName = "defaultinstancetype";

// Requests or limits; an unset entry is not part of the pod spec.
struct ResourceList {
  std::optional<int64_t> cpu_millis;
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> gpus;

  bool operator==(const ResourceList&) const = default;
};

struct InstanceType {
  std::string name;
  std::map<std::string, std::string> node_selector;
  std::vector<Toleration> tolerations;  // added to every pod of the type
  ResourceList requests;
  ResourceList limits;

  bool operator==(const InstanceType&) const = default;
};

// The instance type used when a job names none: requests cpu 1 and memory
// 2Gi, no limits, no GPUs, no node selector.
InstanceType DefaultInstanceType();

// Checks the rules that the JSON shape cannot express: a valid name, node
// selector keys and values in Kubernetes label syntax, valid tolerations,
// non-negative values
// and each limit at least its request. GPU requests must equal GPU limits
// when both are set, because Kubernetes does not overcommit extended
// resources. Errors: kInvalidArgument with the field path, e.g.
// "resources.limits.cpu".
absl::Status ValidateInstanceType(const InstanceType& instance_type);

// Reads and validates the JSON shape above. Quantities may be JSON strings or
// numbers; the GPU count must be an integer. Errors: kInvalidArgument with
// the field path for unknown keys (with the closest valid key suggested),
// wrong types, malformed quantities and every ValidateInstanceType rule.
absl::StatusOr<InstanceType> InstanceTypeFromJson(const nlohmann::json& json);

// Writes the JSON shape above. CPU and memory are strings in Kubernetes
// quantity form ("500m", "16Gi"), GPUs a number; unset entries are left out.
nlohmann::json InstanceTypeToJson(const InstanceType& instance_type);

// Returns the requests a pod of this type gets from Kubernetes: each unset
// request takes its limit, as the API server defaults it.
ResourceList EffectiveRequests(const InstanceType& instance_type);

}  // namespace ty::api
