#include "api/instance_type.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/labels.h"
#include "api/names.h"
#include "api/quantity.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace ty::api {
namespace {

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status UnknownKeyError(std::string_view field, std::string_view key,
                             const std::vector<std::string>& valid) {
  // Edit distance would match "gpu" to "cpu", so GPU spellings are handled first.
  std::optional<std::string> closest;
  if (key.find("gpu") != std::string_view::npos || key.find("GPU") != std::string_view::npos) {
    closest = std::string(kGpuResource);
  } else {
    closest = ClosestMatch(key, valid);
  }
  std::string message = fmt::format("unknown key '{}': ", key);
  if (closest) {
    message += fmt::format("did you mean '{}'?", *closest);
  } else {
    message += fmt::format("valid keys are {}", fmt::join(valid, ", "));
  }
  return InvalidField(field, message);
}

// Checks that every key of `object` is one of `valid`.
absl::Status CheckKeys(std::string_view parent, const nlohmann::json& object,
                       const std::vector<std::string>& valid) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    std::string field = parent.empty() ? key : fmt::format("{}.{}", parent, key);
    return UnknownKeyError(field, key, valid);
  }
  return absl::OkStatus();
}

absl::Status ValidateNodeSelector(const std::map<std::string, std::string>& node_selector) {
  for (const auto& [key, value] : node_selector) {
    std::string field = fmt::format("nodeSelector.{}", key);
    if (!IsLabelKey(key)) {
      return InvalidField(field, fmt::format("invalid label key '{}': use an optional DNS prefix "
                                             "and '/', then up to 63 letters, digits, '-', '_' "
                                             "or '.', such as 'accelerator' or "
                                             "'kubernetes.io/os'",
                                             key));
    }
    if (!value.empty() && !IsLabelName(value)) {
      return InvalidField(field, fmt::format("invalid label value '{}': use up to 63 letters, "
                                             "digits, '-', '_' or '.', beginning and ending "
                                             "with a letter or digit",
                                             value));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(std::string_view field, const std::optional<int64_t>& value) {
  if (value && *value < 0) {
    return InvalidField(field, fmt::format("negative value {}: use 0 or more", *value));
  }
  return absl::OkStatus();
}

absl::Status ValidateResourceList(std::string_view parent, const ResourceList& resources) {
  RETURN_IF_ERROR(CheckNonNegative(fmt::format("{}.{}", parent, kCpuResource),
                                   resources.cpu_millis));
  RETURN_IF_ERROR(CheckNonNegative(fmt::format("{}.{}", parent, kMemoryResource),
                                   resources.memory_bytes));
  return CheckNonNegative(fmt::format("{}.{}", parent, kGpuResource), resources.gpus);
}

// Reads a quantity given as a JSON string or number. A null leaves it unset.
template <typename Parse>
absl::Status ReadQuantity(const nlohmann::json& list, std::string_view key,
                          std::string_view field, Parse parse, std::optional<int64_t>& out) {
  auto it = list.find(key);
  if (it == list.end() || it->is_null()) return absl::OkStatus();
  std::string text;
  if (it->is_string()) {
    text = it->get<std::string>();
  } else if (it->is_number()) {
    text = Dump(*it);
  } else {
    return InvalidField(field, fmt::format("invalid quantity {}: use a string such as \"4\" or "
                                           "\"16Gi\", or a number",
                                           Dump(*it)));
  }
  ASSIGN_OR_RETURN(out, parse(field, text));
  return absl::OkStatus();
}

absl::StatusOr<ResourceList> ReadResourceList(std::string_view field, const nlohmann::json& list) {
  ResourceList resources;
  if (list.is_null()) return resources;
  if (!list.is_object()) {
    return InvalidField(field, fmt::format("expected an object such as {{\"cpu\": \"4\", "
                                           "\"memory\": \"16Gi\"}}, got {}",
                                           Dump(list)));
  }
  RETURN_IF_ERROR(CheckKeys(field, list,
                            {std::string(kCpuResource), std::string(kMemoryResource),
                             std::string(kGpuResource)}));
  RETURN_IF_ERROR(ReadQuantity(list, kCpuResource, fmt::format("{}.{}", field, kCpuResource),
                               ParseCpuMillis, resources.cpu_millis));
  RETURN_IF_ERROR(ReadQuantity(list, kMemoryResource,
                               fmt::format("{}.{}", field, kMemoryResource), ParseMemoryBytes,
                               resources.memory_bytes));

  // GPUs are whole devices, so a fraction is an error rather than rounded up.
  std::string gpu_field = fmt::format("{}.{}", field, kGpuResource);
  auto gpus = list.find(kGpuResource);
  if (gpus != list.end() && !gpus->is_null()) {
    if (gpus->is_number_integer()) {
      if (gpus->get<int64_t>() < 0) {
        return InvalidField(gpu_field, fmt::format("negative GPU count {}: use 0 or more",
                                                   Dump(*gpus)));
      }
      resources.gpus = gpus->get<int64_t>();
    } else if (gpus->is_string()) {
      ASSIGN_OR_RETURN(resources.gpus, ParseCount(gpu_field, gpus->get<std::string>()));
    } else {
      return InvalidField(gpu_field, fmt::format("invalid GPU count {}: use a whole number such "
                                                 "as 1",
                                                 Dump(*gpus)));
    }
  }
  return resources;
}

void WriteResourceList(const ResourceList& resources, nlohmann::json& out) {
  out = nlohmann::json::object();
  if (resources.cpu_millis) out[kCpuResource] = FormatCpuMillis(*resources.cpu_millis);
  if (resources.memory_bytes) out[kMemoryResource] = FormatMemoryBytes(*resources.memory_bytes);
  if (resources.gpus) out[kGpuResource] = *resources.gpus;
}

}  // namespace

InstanceType DefaultInstanceType() {
  InstanceType type;
  type.name = std::string(kDefaultInstanceTypeName);
  type.requests.cpu_millis = 1000;
  type.requests.memory_bytes = int64_t{2} << 30;
  return type;
}

absl::Status ValidateInstanceType(const InstanceType& instance_type) {
  RETURN_IF_ERROR(ValidateName("instance type", "name", instance_type.name));
  RETURN_IF_ERROR(ValidateNodeSelector(instance_type.node_selector));
  for (size_t i = 0; i < instance_type.tolerations.size(); ++i) {
    RETURN_IF_ERROR(
        ValidateToleration(fmt::format("tolerations[{}]", i), instance_type.tolerations[i]));
  }
  RETURN_IF_ERROR(ValidateResourceList("resources.requests", instance_type.requests));
  RETURN_IF_ERROR(ValidateResourceList("resources.limits", instance_type.limits));

  const ResourceList& requests = instance_type.requests;
  const ResourceList& limits = instance_type.limits;
  if (requests.cpu_millis && limits.cpu_millis && *limits.cpu_millis < *requests.cpu_millis) {
    return InvalidField("resources.limits.cpu",
                        fmt::format("cpu limit '{}' is below the request '{}': raise the limit "
                                    "or lower the request",
                                    FormatCpuMillis(*limits.cpu_millis),
                                    FormatCpuMillis(*requests.cpu_millis)));
  }
  if (requests.memory_bytes && limits.memory_bytes &&
      *limits.memory_bytes < *requests.memory_bytes) {
    return InvalidField("resources.limits.memory",
                        fmt::format("memory limit '{}' is below the request '{}': raise the "
                                    "limit or lower the request",
                                    FormatMemoryBytes(*limits.memory_bytes),
                                    FormatMemoryBytes(*requests.memory_bytes)));
  }
  if (requests.gpus && limits.gpus && *limits.gpus != *requests.gpus) {
    return InvalidField("resources.limits.nvidia.com/gpu",
                        fmt::format("GPU limit {} differs from the request {}: Kubernetes does "
                                    "not overcommit GPUs, so set both to the same number or give "
                                    "only one",
                                    *limits.gpus, *requests.gpus));
  }
  return absl::OkStatus();
}

absl::StatusOr<InstanceType> InstanceTypeFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return InvalidField("", fmt::format("instance type must be a JSON object, got {}", Dump(json)));
  }
  RETURN_IF_ERROR(CheckKeys("", json, {"name", "nodeSelector", "tolerations", "resources"}));

  InstanceType instance_type;
  auto name = json.find("name");
  if (name != json.end() && !name->is_string()) {
    return InvalidField("name", fmt::format("invalid name {}: use a string", Dump(*name)));
  }
  if (name != json.end()) instance_type.name = name->get<std::string>();

  auto node_selector = json.find("nodeSelector");
  if (node_selector != json.end() && !node_selector->is_null()) {
    if (!node_selector->is_object()) {
      return InvalidField("nodeSelector",
                          fmt::format("expected an object of label keys and values such as "
                                      "{{\"accelerator\": \"a100\"}}, got {}",
                                      Dump(*node_selector)));
    }
    for (const auto& [key, value] : node_selector->items()) {
      if (!value.is_string()) {
        return InvalidField(fmt::format("nodeSelector.{}", key),
                            fmt::format("invalid label value {}: use a string such as \"{}\"",
                                        Dump(value), Dump(value)));
      }
      instance_type.node_selector[key] = value.get<std::string>();
    }
  }

  if (auto tolerations = json.find("tolerations"); tolerations != json.end()) {
    ASSIGN_OR_RETURN(instance_type.tolerations, TolerationsFromJson("tolerations", *tolerations));
  }

  auto resources = json.find("resources");
  if (resources != json.end() && !resources->is_null()) {
    if (!resources->is_object()) {
      return InvalidField("resources", fmt::format("expected an object with \"requests\" and "
                                                   "\"limits\", got {}",
                                                   Dump(*resources)));
    }
    RETURN_IF_ERROR(CheckKeys("resources", *resources, {"requests", "limits"}));
    nlohmann::json empty;
    ASSIGN_OR_RETURN(instance_type.requests,
                     ReadResourceList("resources.requests", resources->value("requests", empty)));
    ASSIGN_OR_RETURN(instance_type.limits,
                     ReadResourceList("resources.limits", resources->value("limits", empty)));
  }

  RETURN_IF_ERROR(ValidateInstanceType(instance_type));
  return instance_type;
}

nlohmann::json InstanceTypeToJson(const InstanceType& instance_type) {
  nlohmann::json json = nlohmann::json::object();
  json["name"] = instance_type.name;
  json["nodeSelector"] = nlohmann::json::object();
  for (const auto& [key, value] : instance_type.node_selector) json["nodeSelector"][key] = value;
  if (!instance_type.tolerations.empty()) {
    json["tolerations"] = TolerationsToJson(instance_type.tolerations);
  }
  WriteResourceList(instance_type.requests, json["resources"]["requests"]);
  WriteResourceList(instance_type.limits, json["resources"]["limits"]);
  return json;
}

ResourceList EffectiveRequests(const InstanceType& instance_type) {
  ResourceList requests = instance_type.requests;
  const ResourceList& limits = instance_type.limits;
  if (!requests.cpu_millis) requests.cpu_millis = limits.cpu_millis;
  if (!requests.memory_bytes) requests.memory_bytes = limits.memory_bytes;
  if (!requests.gpus) requests.gpus = limits.gpus;
  return requests;
}

}  // namespace ty::api
