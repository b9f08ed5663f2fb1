#include "api/instance_type.h"

#include <nlohmann/json.hpp>

namespace ty::api {

InstanceType DefaultInstanceType() {
  InstanceType type;
  type.name = std::string(kDefaultInstanceTypeName);
  type.requests.cpu_millis = 1000;
  type.requests.memory_bytes = int64_t{2} << 30;
  return type;
}

// Skeleton: implementations follow in the next commit.
absl::Status ValidateInstanceType(const InstanceType&) {
  return absl::UnimplementedError("ValidateInstanceType");
}
absl::StatusOr<InstanceType> InstanceTypeFromJson(const nlohmann::json&) {
  return absl::UnimplementedError("InstanceTypeFromJson");
}
nlohmann::json InstanceTypeToJson(const InstanceType&) { return nlohmann::json::object(); }
ResourceList EffectiveRequests(const InstanceType& instance_type) {
  return instance_type.requests;
}

}  // namespace ty::api
