#pragma once

// Run tracking on the wire: metric points, params and tags, their JSON form
// and validation, and the batch limits. The native API names entries
// {"name", "value"}; MLflow's API names them {"key", "value"}, so parsers
// take the key field's name.
//
// Metric values are doubles. JSON has no NaN or infinities, so they travel
// as the strings "NaN", "Infinity" and "-Infinity", the protobuf JSON
// mapping that MLflow uses.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::api {

// Batch limits, which are MLflow's log-batch limits.
inline constexpr size_t kMaxMetricsPerBatch = 1000;
inline constexpr size_t kMaxParamsPerBatch = 100;
inline constexpr size_t kMaxTagsPerBatch = 100;
inline constexpr size_t kMaxEntriesPerBatch = 1000;

// Size limits of MLflow 2.x: keys, param values and tag values.
inline constexpr size_t kMaxTrackingKeyLength = 250;
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 8000;

inline constexpr size_t kMaxBatchIdLength = 64;

struct MetricPoint {
  std::string name;
  double value = 0;    // may be NaN or an infinity
  int64_t step = 0;
  int64_t timestamp = 0;  // milliseconds since the epoch
};

// A param or a tag.
struct TrackingEntry {
  std::string name;
  std::string value;
};

struct TrackingBatch {
  std::string batch_id;  // empty: no retry protection
  std::vector<MetricPoint> metrics;
  std::vector<TrackingEntry> params;
  std::vector<TrackingEntry> tags;
};

// Checks a metric, param or tag name: 1 to 250 letters, digits, '_', '-',
// '.', spaces and '/', forming a normal relative path (no leading or
// trailing '/', no "//", no "." or ".." segment), MLflow's rule. Errors:
// kInvalidArgument with field `field` naming `kind` ("metric") and the fix.
absl::Status ValidateTrackingKey(std::string_view kind, std::string_view field,
                                 std::string_view name);

// Reads a metric value: a JSON number or "NaN", "Infinity", "-Infinity".
// Errors: kInvalidArgument with field `field` quoting the value.
absl::StatusOr<double> MetricValueFromJson(std::string_view field, const nlohmann::json& value);

// Writes a metric value: a JSON number when finite, else one of the strings.
nlohmann::json MetricValueToJson(double value);

// Reads an int64 field sent as a JSON integer or a string of digits with an
// optional '-' (protobuf's JSON form of int64). Errors: kInvalidArgument with
// field `field` for fractions, other types and values outside int64.
absl::StatusOr<int64_t> Int64FromJson(std::string_view field, const nlohmann::json& value);

// Reads a point from {"<key_field>", "value", "step", "timestamp"}. A missing
// step is 0 and a missing timestamp is `now_millis`. Errors name the field
// under `field` ("metrics[3].value").
absl::StatusOr<MetricPoint> MetricPointFromJson(const nlohmann::json& object,
                                                std::string_view field,
                                                std::string_view key_field, int64_t now_millis);

// Reads a param (`is_tag` false) or tag from {"<key_field>", "value"}. A JSON
// number or boolean value is kept as its JSON text.
absl::StatusOr<TrackingEntry> TrackingEntryFromJson(const nlohmann::json& object,
                                                    std::string_view field,
                                                    std::string_view key_field, bool is_tag);

// Checks the batch limits. Errors: kResourceExhausted naming the limit that
// was passed and the count sent, for example "batch has 1001 metrics but the
// limit is 1000: split the metrics across several batches".
absl::Status CheckBatchLimits(size_t metrics, size_t params, size_t tags);

// Reads a native batch {"batchId", "metrics", "params", "tags"}, checking
// the limits before reading any entry. Errors: kResourceExhausted from
// CheckBatchLimits, kInvalidArgument naming the field at fault.
absl::StatusOr<TrackingBatch> TrackingBatchFromJson(const nlohmann::json& body,
                                                    int64_t now_millis);

}  // namespace ty::api
