#include "api/tracking.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

constexpr std::string_view kKeyRule =
    "use 1 to 250 letters, digits, '_', '-', '.', spaces and '/'";

bool IsKeyCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ' ' || c == '/';
}

// Dumps user data for a message without failing on invalid UTF-8.
std::string Quote(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr size_t kMaxShown = 80;
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

std::string JoinField(std::string_view parent, std::string_view child) {
  return parent.empty() ? std::string(child) : fmt::format("{}.{}", parent, child);
}

// Text of a param or tag value: strings as they are, numbers and booleans as
// their JSON text.
absl::StatusOr<std::string> EntryValueText(std::string_view field, const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return InvalidField(field, fmt::format("invalid value {}: use a string", Quote(value)));
}

}  // namespace

absl::Status ValidateTrackingKey(std::string_view kind, std::string_view field,
                                 std::string_view name) {
  if (name.empty()) return InvalidField(field, fmt::format("missing {} name: {}", kind, kKeyRule));
  if (name.size() > kMaxTrackingKeyLength) {
    return InvalidField(field, fmt::format("invalid {} name '{}...': it has {} characters: {}",
                                           kind, name.substr(0, 40), name.size(), kKeyRule));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (IsKeyCharacter(name[i])) continue;
    return InvalidField(
        field, fmt::format("invalid {} name {}: the character at position {} is not allowed: {}",
                           kind, Quote(std::string(name)), i + 1, kKeyRule));
  }

  // Names double as paths in MLflow's file store and in URLs, so each must
  // be a normal relative path that no other name resolves to.
  size_t start = 0;
  while (true) {
    size_t end = name.find('/', start);
    std::string_view segment = name.substr(start, end == std::string_view::npos ? end : end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidField(field, fmt::format("invalid {} name '{}': it has an empty, '.' or '..' "
                                             "path segment: remove it",
                                             kind, name));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<double> MetricValueFromJson(std::string_view field, const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();

    // Protobuf's JSON mapping also accepts a double written as a string.
    double number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size() && std::isfinite(number)) {
      return number;
    }
  }
  return InvalidField(field, fmt::format("invalid metric value {}: use a number, \"NaN\", "
                                         "\"Infinity\" or \"-Infinity\"",
                                         Quote(value)));
}

nlohmann::json MetricValueToJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

absl::StatusOr<int64_t> Int64FromJson(std::string_view field, const nlohmann::json& value) {
  constexpr std::string_view kRule = "use an integer from -2^63 to 2^63-1";
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    uint64_t number = value.get<uint64_t>();
    if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(number);
    }
  } else if (value.is_number_float()) {
    // 2^63 is the first double past int64's range.
    double number = value.get<double>();
    if (std::trunc(number) == number && number >= -9223372036854775808.0 &&
        number < 9223372036854775808.0) {
      return static_cast<int64_t>(number);
    }
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (!text.empty() && error == std::errc() && end == text.data() + text.size()) return number;
  }
  return InvalidField(field, fmt::format("invalid integer {}: {}", Quote(value), kRule));
}

absl::StatusOr<MetricPoint> MetricPointFromJson(const nlohmann::json& object,
                                                std::string_view field,
                                                std::string_view key_field, int64_t now_millis) {
  if (!object.is_object()) {
    return InvalidField(field, fmt::format("invalid metric {}: use an object with \"{}\" and "
                                           "\"value\"",
                                           Quote(object), key_field));
  }
  MetricPoint point;
  auto key = object.find(key_field);
  if (key == object.end() || !key->is_string()) {
    return InvalidField(JoinField(field, key_field),
                        fmt::format("missing metric name: set \"{}\" to a string", key_field));
  }
  point.name = key->get<std::string>();
  RETURN_IF_ERROR(ValidateTrackingKey("metric", JoinField(field, key_field), point.name));

  auto value = object.find("value");
  if (value == object.end()) {
    return InvalidField(JoinField(field, "value"),
                        fmt::format("missing value of metric '{}'", point.name));
  }
  ASSIGN_OR_RETURN(point.value, MetricValueFromJson(JoinField(field, "value"), *value));

  auto step = object.find("step");
  if (step != object.end() && !step->is_null()) {
    ASSIGN_OR_RETURN(point.step, Int64FromJson(JoinField(field, "step"), *step));
  }
  point.timestamp = now_millis;
  auto timestamp = object.find("timestamp");
  if (timestamp != object.end() && !timestamp->is_null()) {
    std::string timestamp_field = JoinField(field, "timestamp");
    ASSIGN_OR_RETURN(point.timestamp, Int64FromJson(timestamp_field, *timestamp));
    if (point.timestamp < 0) {
      return InvalidField(timestamp_field,
                          fmt::format("invalid timestamp {}: use milliseconds since the epoch, "
                                      "0 or more",
                                      point.timestamp));
    }
  }
  return point;
}

absl::StatusOr<TrackingEntry> TrackingEntryFromJson(const nlohmann::json& object,
                                                    std::string_view field,
                                                    std::string_view key_field, bool is_tag) {
  std::string_view kind = is_tag ? "tag" : "param";
  if (!object.is_object()) {
    return InvalidField(field, fmt::format("invalid {} {}: use an object with \"{}\" and "
                                           "\"value\"",
                                           kind, Quote(object), key_field));
  }
  TrackingEntry entry;
  auto key = object.find(key_field);
  if (key == object.end() || !key->is_string()) {
    return InvalidField(JoinField(field, key_field),
                        fmt::format("missing {} name: set \"{}\" to a string", kind, key_field));
  }
  entry.name = key->get<std::string>();
  RETURN_IF_ERROR(ValidateTrackingKey(kind, JoinField(field, key_field), entry.name));

  auto value = object.find("value");
  std::string value_field = JoinField(field, "value");
  if (value == object.end() || value->is_null()) {
    return InvalidField(value_field, fmt::format("missing value of {} '{}'", kind, entry.name));
  }
  ASSIGN_OR_RETURN(entry.value, EntryValueText(value_field, *value));
  size_t limit = is_tag ? kMaxTagValueLength : kMaxParamValueLength;
  if (entry.value.size() > limit) {
    return InvalidField(value_field, fmt::format("value of {} '{}' has {} characters but the "
                                                 "limit is {}: shorten it",
                                                 kind, entry.name, entry.value.size(), limit));
  }
  return entry;
}

absl::Status CheckBatchLimits(size_t metrics, size_t params, size_t tags) {
  auto exhausted = [](std::string_view field, size_t count, std::string_view kind, size_t limit) {
    return FieldError(absl::StatusCode::kResourceExhausted, field,
                      fmt::format("batch has {} {} but the limit is {}: split the {} across "
                                  "several batches",
                                  count, kind, limit, kind));
  };
  if (metrics > kMaxMetricsPerBatch) {
    return exhausted("metrics", metrics, "metrics", kMaxMetricsPerBatch);
  }
  if (params > kMaxParamsPerBatch) return exhausted("params", params, "params", kMaxParamsPerBatch);
  if (tags > kMaxTagsPerBatch) return exhausted("tags", tags, "tags", kMaxTagsPerBatch);
  size_t total = metrics + params + tags;
  if (total > kMaxEntriesPerBatch) {
    return exhausted("", total, "entries (metrics, params and tags)", kMaxEntriesPerBatch);
  }
  return absl::OkStatus();
}

absl::StatusOr<TrackingBatch> TrackingBatchFromJson(const nlohmann::json& body,
                                                    int64_t now_millis) {
  if (!body.is_object()) {
    return InvalidField("", fmt::format("invalid batch {}: use an object with \"metrics\", "
                                        "\"params\" and \"tags\"",
                                        Quote(body)));
  }
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json* lists[3] = {&kEmpty, &kEmpty, &kEmpty};
  constexpr std::string_view kListNames[3] = {"metrics", "params", "tags"};
  for (int i = 0; i < 3; ++i) {
    auto list = body.find(kListNames[i]);
    if (list == body.end() || list->is_null()) continue;
    if (!list->is_array()) {
      return InvalidField(kListNames[i], fmt::format("invalid {}: use an array", kListNames[i]));
    }
    lists[i] = &*list;
  }
  RETURN_IF_ERROR(CheckBatchLimits(lists[0]->size(), lists[1]->size(), lists[2]->size()));

  TrackingBatch batch;
  auto batch_id = body.find("batchId");
  if (batch_id != body.end() && !batch_id->is_null()) {
    bool valid = batch_id->is_string() && !batch_id->get_ref<const std::string&>().empty() &&
                 batch_id->get_ref<const std::string&>().size() <= kMaxBatchIdLength;
    if (valid) {
      for (char c : batch_id->get_ref<const std::string&>()) {
        valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
      }
    }
    if (!valid) {
      return InvalidField("batchId", fmt::format("invalid batch id {}: use 1 to 64 letters, "
                                                 "digits, '-' and '_'",
                                                 Quote(*batch_id)));
    }
    batch.batch_id = batch_id->get<std::string>();
  }

  batch.metrics.reserve(lists[0]->size());
  for (size_t i = 0; i < lists[0]->size(); ++i) {
    ASSIGN_OR_RETURN(MetricPoint point, MetricPointFromJson((*lists[0])[i],
                                                            fmt::format("metrics[{}]", i), "name",
                                                            now_millis));
    batch.metrics.push_back(std::move(point));
  }
  for (int list = 1; list < 3; ++list) {
    bool is_tag = list == 2;
    for (size_t i = 0; i < lists[list]->size(); ++i) {
      std::string field = fmt::format("{}[{}]", kListNames[list], i);
      ASSIGN_OR_RETURN(TrackingEntry entry,
                       TrackingEntryFromJson((*lists[list])[i], field, "name", is_tag));
      (is_tag ? batch.tags : batch.params).push_back(std::move(entry));
    }
  }
  return batch;
}

}  // namespace ty::api
