#include "api/toleration.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/labels.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

constexpr std::string_view kEffects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status ReadString(std::string_view parent, const nlohmann::json& object, const char* key,
                        std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) {
    return InvalidField(fmt::format("{}.{}", parent, key),
                        fmt::format("invalid value {}: use a string", Dump(*it)));
  }
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::StatusOr<Toleration> ReadToleration(std::string_view field, const nlohmann::json& json) {
  if (!json.is_object()) {
    return InvalidField(field, fmt::format("expected an object such as {{\"key\": \"dedicated\", "
                                           "\"operator\": \"Equal\", \"value\": \"ml\", "
                                           "\"effect\": \"NoSchedule\"}}, got {}",
                                           Dump(json)));
  }
  constexpr std::string_view kKeys[] = {"key", "operator", "value", "effect",
                                        "tolerationSeconds"};
  for (const auto& [key, value] : json.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return InvalidField(fmt::format("{}.{}", field, key),
                          fmt::format("unknown key '{}': valid keys are key, operator, value, "
                                      "effect and tolerationSeconds",
                                      key));
    }
  }
  Toleration toleration;
  RETURN_IF_ERROR(ReadString(field, json, "key", toleration.key));
  RETURN_IF_ERROR(ReadString(field, json, "operator", toleration.operator_name));
  RETURN_IF_ERROR(ReadString(field, json, "value", toleration.value));
  RETURN_IF_ERROR(ReadString(field, json, "effect", toleration.effect));
  auto seconds = json.find("tolerationSeconds");
  if (seconds != json.end() && !seconds->is_null()) {
    if (!seconds->is_number_integer()) {
      return InvalidField(fmt::format("{}.tolerationSeconds", field),
                          fmt::format("invalid value {}: use a whole number of seconds",
                                      Dump(*seconds)));
    }
    toleration.toleration_seconds = seconds->get<int64_t>();
  }
  return toleration;
}

}  // namespace

absl::Status ValidateToleration(std::string_view field, const Toleration& toleration) {
  if (toleration.operator_name != "Equal" && toleration.operator_name != "Exists") {
    return InvalidField(fmt::format("{}.operator", field),
                        fmt::format("invalid operator '{}': use Equal or Exists",
                                    toleration.operator_name));
  }
  if (!toleration.key.empty() && !IsLabelKey(toleration.key)) {
    return InvalidField(fmt::format("{}.key", field),
                        fmt::format("invalid taint key '{}': use a label key such as "
                                    "'dedicated' or 'nvidia.com/gpu'",
                                    toleration.key));
  }
  if (toleration.key.empty() && toleration.operator_name != "Exists") {
    return InvalidField(fmt::format("{}.key", field),
                        "missing key: give the taint's key, or use operator Exists to "
                        "tolerate every taint");
  }
  if (toleration.operator_name == "Exists" && !toleration.value.empty()) {
    return InvalidField(fmt::format("{}.value", field),
                        fmt::format("value '{}' given with operator Exists: drop the value or "
                                    "use operator Equal",
                                    toleration.value));
  }
  if (!toleration.value.empty() && !IsLabelName(toleration.value)) {
    return InvalidField(fmt::format("{}.value", field),
                        fmt::format("invalid taint value '{}': use up to 63 letters, digits, "
                                    "'-', '_' or '.'",
                                    toleration.value));
  }
  bool known_effect = toleration.effect.empty() ||
                      std::find(std::begin(kEffects), std::end(kEffects), toleration.effect) !=
                          std::end(kEffects);
  if (!known_effect) {
    return InvalidField(fmt::format("{}.effect", field),
                        fmt::format("invalid effect '{}': use NoSchedule, PreferNoSchedule or "
                                    "NoExecute, or leave it out to match every effect",
                                    toleration.effect));
  }
  if (toleration.toleration_seconds && toleration.effect != "NoExecute") {
    return InvalidField(fmt::format("{}.tolerationSeconds", field),
                        "tolerationSeconds applies to effect NoExecute only: set effect "
                        "NoExecute or drop tolerationSeconds");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Toleration>> TolerationsFromJson(std::string_view field,
                                                            const nlohmann::json& json) {
  std::vector<Toleration> tolerations;
  if (json.is_null()) return tolerations;
  if (!json.is_array()) {
    return InvalidField(field, fmt::format("expected a list of tolerations, got {}", Dump(json)));
  }
  for (size_t i = 0; i < json.size(); ++i) {
    std::string item = fmt::format("{}[{}]", field, i);
    ASSIGN_OR_RETURN(Toleration toleration, ReadToleration(item, json[i]));
    RETURN_IF_ERROR(ValidateToleration(item, toleration));
    tolerations.push_back(std::move(toleration));
  }
  return tolerations;
}

nlohmann::json TolerationsToJson(const std::vector<Toleration>& tolerations) {
  nlohmann::json out = nlohmann::json::array();
  for (const Toleration& toleration : tolerations) {
    nlohmann::json item = {{"operator", toleration.operator_name}};
    if (!toleration.key.empty()) item["key"] = toleration.key;
    if (!toleration.value.empty()) item["value"] = toleration.value;
    if (!toleration.effect.empty()) item["effect"] = toleration.effect;
    if (toleration.toleration_seconds) item["tolerationSeconds"] = *toleration.toleration_seconds;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace ty::api
