#include "api/tracking_batch_reader.h"

#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_cursor.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

using nlohmann::json;

// One value as it appeared in the body.
struct RawValue {
  enum class Kind { kMissing, kNull, kTrue, kFalse, kNumber, kString, kObject, kArray };
  Kind kind = Kind::kMissing;
  // A number's text, a string's content, or an object's or array's text.
  std::string_view text;
};

// One element of "metrics", "params" or "tags".
struct RawEntry {
  bool is_object = true;
  RawValue element;  // the element itself when it is not an object
  RawValue key;
  RawValue value;
  RawValue step;
  RawValue timestamp;
};

// Rebuilds a scalar as a JSON value for the tree-based validators, which
// produce the error messages.
json ToJson(const RawValue& raw) {
  switch (raw.kind) {
    case RawValue::Kind::kMissing:
    case RawValue::Kind::kNull:
      return nullptr;
    case RawValue::Kind::kTrue:
      return true;
    case RawValue::Kind::kFalse:
      return false;
    case RawValue::Kind::kString:
      return std::string(raw.text);
    case RawValue::Kind::kObject:
    case RawValue::Kind::kArray:
      return json::parse(raw.text, nullptr, false);
    case RawValue::Kind::kNumber: {
      // A number outside double's range fails to parse; its text makes the
      // validators reject it with the number quoted.
      json number = json::parse(raw.text, nullptr, false);
      return number.is_discarded() ? json(std::string(raw.text)) : number;
    }
  }
  return nullptr;
}

json EntryToJson(const RawEntry& entry, std::string_view key_field) {
  if (!entry.is_object) return ToJson(entry.element);
  json object = json::object();
  auto add = [&object](std::string_view name, const RawValue& raw) {
    if (raw.kind != RawValue::Kind::kMissing) object[std::string(name)] = ToJson(raw);
  };
  add(key_field, entry.key);
  add("value", entry.value);
  add("step", entry.step);
  add("timestamp", entry.timestamp);
  return object;
}

bool ParseInteger(const RawValue& raw, int64_t* value) {
  if (raw.kind != RawValue::Kind::kNumber) return false;
  auto [end, error] = std::from_chars(raw.text.data(), raw.text.data() + raw.text.size(), *value);
  return error == std::errc() && end == raw.text.data() + raw.text.size();
}

class BatchReader {
 public:
  BatchReader(std::string_view body, BatchDialect dialect)
      : body_(body), cursor_(body), key_field_(dialect == BatchDialect::kNative ? "name" : "key"),
        dialect_(dialect) {}

  absl::StatusOr<BatchRequest> Read(int64_t now_millis);

 private:
  absl::StatusOr<RawValue> Value();
  absl::Status Entries(std::vector<RawEntry>& entries);
  absl::StatusOr<MetricPoint> Point(const RawEntry& entry, size_t index, int64_t now_millis);
  bool FastPoint(const RawEntry& entry, int64_t now_millis, MetricPoint* point);

  std::string_view body_;
  JsonCursor cursor_;
  std::string_view key_field_;
  BatchDialect dialect_;
  std::deque<std::string> decoded_;  // strings that had escapes; views point here
  std::string scratch_;
  std::unordered_set<std::string_view> valid_names_;
};

absl::StatusOr<RawValue> BatchReader::Value() {
  RawValue raw;
  char c = cursor_.Peek();
  if (c == '"') {
    ASSIGN_OR_RETURN(raw.text, cursor_.String(scratch_));
    if (!scratch_.empty() && raw.text.data() == scratch_.data()) {
      raw.text = decoded_.emplace_back(std::move(scratch_));
      scratch_.clear();
    }
    raw.kind = RawValue::Kind::kString;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    ASSIGN_OR_RETURN(raw.text, cursor_.Number());
    raw.kind = RawValue::Kind::kNumber;
  } else if (c == '{' || c == '[') {
    size_t start = cursor_.position();
    RETURN_IF_ERROR(cursor_.SkipValue());
    raw.text = body_.substr(start, cursor_.position() - start);
    raw.kind = c == '{' ? RawValue::Kind::kObject : RawValue::Kind::kArray;
  } else {
    ASSIGN_OR_RETURN(std::string_view word, cursor_.Literal());
    raw.kind = word == "true"    ? RawValue::Kind::kTrue
               : word == "false" ? RawValue::Kind::kFalse
                                 : RawValue::Kind::kNull;
  }
  return raw;
}

absl::Status BatchReader::Entries(std::vector<RawEntry>& entries) {
  entries.clear();
  RETURN_IF_ERROR(cursor_.Expect('['));
  if (cursor_.ConsumeIf(']')) return absl::OkStatus();
  do {
    RawEntry& entry = entries.emplace_back();
    if (cursor_.Peek() != '{') {
      entry.is_object = false;
      ASSIGN_OR_RETURN(entry.element, Value());
      continue;
    }
    RETURN_IF_ERROR(cursor_.Expect('{'));
    if (cursor_.ConsumeIf('}')) continue;
    do {
      ASSIGN_OR_RETURN(std::string_view key, cursor_.String(scratch_));
      RawValue* slot = key == key_field_     ? &entry.key
                       : key == "value"      ? &entry.value
                       : key == "step"       ? &entry.step
                       : key == "timestamp"  ? &entry.timestamp
                                             : nullptr;
      RETURN_IF_ERROR(cursor_.Expect(':'));
      if (slot == nullptr) {
        RETURN_IF_ERROR(cursor_.SkipValue());
      } else {
        ASSIGN_OR_RETURN(*slot, Value());
      }
    } while (cursor_.ConsumeIf(','));
    RETURN_IF_ERROR(cursor_.Expect('}'));
  } while (cursor_.ConsumeIf(','));
  return cursor_.Expect(']');
}

// The common case without allocating: a string name already validated in
// this batch or valid now, a number or non-finite string value, and integer
// step and timestamp. Returns false to leave anything else to Point().
bool BatchReader::FastPoint(const RawEntry& entry, int64_t now_millis, MetricPoint* point) {
  if (!entry.is_object || entry.key.kind != RawValue::Kind::kString) return false;
  if (!valid_names_.contains(entry.key.text)) {
    if (!ValidateTrackingKey("metric", "", entry.key.text).ok()) return false;
    valid_names_.insert(entry.key.text);
  }

  const RawValue& value = entry.value;
  if (value.kind == RawValue::Kind::kNumber) {
    auto [end, error] =
        std::from_chars(value.text.data(), value.text.data() + value.text.size(), point->value);
    if (error != std::errc()) return false;
  } else if (value.kind == RawValue::Kind::kString && value.text == "NaN") {
    point->value = std::numeric_limits<double>::quiet_NaN();
  } else if (value.kind == RawValue::Kind::kString &&
             (value.text == "Infinity" || value.text == "-Infinity")) {
    point->value = value.text[0] == '-' ? -std::numeric_limits<double>::infinity()
                                        : std::numeric_limits<double>::infinity();
  } else {
    return false;
  }

  bool no_step = entry.step.kind == RawValue::Kind::kMissing ||
                 entry.step.kind == RawValue::Kind::kNull;
  point->step = 0;
  if (!no_step && !ParseInteger(entry.step, &point->step)) return false;
  bool no_timestamp = entry.timestamp.kind == RawValue::Kind::kMissing ||
                      entry.timestamp.kind == RawValue::Kind::kNull;
  point->timestamp = now_millis;
  if (!no_timestamp && (!ParseInteger(entry.timestamp, &point->timestamp) || point->timestamp < 0)) {
    return false;
  }
  point->name.assign(entry.key.text);
  return true;
}

absl::StatusOr<MetricPoint> BatchReader::Point(const RawEntry& entry, size_t index,
                                               int64_t now_millis) {
  MetricPoint point;
  if (FastPoint(entry, now_millis, &point)) return point;
  return MetricPointFromJson(EntryToJson(entry, key_field_), fmt::format("metrics[{}]", index),
                             key_field_, now_millis);
}

absl::StatusOr<BatchRequest> BatchReader::Read(int64_t now_millis) {
  if (cursor_.Peek() != '{') {
    RETURN_IF_ERROR(cursor_.SkipValue());
    return absl::InvalidArgumentError("request body is not a JSON object: send a JSON object");
  }
  std::vector<RawEntry> lists[3];
  constexpr std::string_view kListNames[3] = {"metrics", "params", "tags"};
  RawValue batch_id;
  RawValue run_id;
  RawValue run_uuid;
  RETURN_IF_ERROR(cursor_.Expect('{'));
  if (!cursor_.ConsumeIf('}')) {
    do {
      ASSIGN_OR_RETURN(std::string_view key, cursor_.String(scratch_));
      std::string key_text(key);
      RETURN_IF_ERROR(cursor_.Expect(':'));
      int list = -1;
      for (int i = 0; i < 3; ++i) {
        if (key_text == kListNames[i]) list = i;
      }
      if (list >= 0 && cursor_.Peek() == '[') {
        RETURN_IF_ERROR(Entries(lists[list]));
      } else if (list >= 0) {
        ASSIGN_OR_RETURN(RawValue other, Value());
        if (other.kind != RawValue::Kind::kNull) {
          return InvalidField(kListNames[list],
                              fmt::format("invalid {}: use an array", kListNames[list]));
        }
        lists[list].clear();
      } else if (key_text == "batchId" && dialect_ == BatchDialect::kNative) {
        ASSIGN_OR_RETURN(batch_id, Value());
      } else if (key_text == "run_id" && dialect_ == BatchDialect::kMlflow) {
        ASSIGN_OR_RETURN(run_id, Value());
      } else if (key_text == "run_uuid" && dialect_ == BatchDialect::kMlflow) {
        ASSIGN_OR_RETURN(run_uuid, Value());
      } else {
        RETURN_IF_ERROR(cursor_.SkipValue());
      }
    } while (cursor_.ConsumeIf(','));
    RETURN_IF_ERROR(cursor_.Expect('}'));
  }
  RETURN_IF_ERROR(cursor_.ExpectEnd());
  RETURN_IF_ERROR(CheckBatchLimits(lists[0].size(), lists[1].size(), lists[2].size()));

  BatchRequest request;
  if (batch_id.kind != RawValue::Kind::kMissing && batch_id.kind != RawValue::Kind::kNull) {
    // The tree-based reader has the batch id rule; an empty batch applies it.
    ASSIGN_OR_RETURN(TrackingBatch checked,
                     TrackingBatchFromJson(json{{"batchId", ToJson(batch_id)}}, now_millis));
    request.batch.batch_id = std::move(checked.batch_id);
  }
  for (const RawValue* id : {&run_id, &run_uuid}) {
    if (request.run_id.empty() && id->kind == RawValue::Kind::kString) {
      request.run_id = std::string(id->text);
    }
  }

  request.batch.metrics.reserve(lists[0].size());
  for (size_t i = 0; i < lists[0].size(); ++i) {
    ASSIGN_OR_RETURN(MetricPoint point, Point(lists[0][i], i, now_millis));
    request.batch.metrics.push_back(std::move(point));
  }
  for (int list = 1; list < 3; ++list) {
    bool is_tag = list == 2;
    for (size_t i = 0; i < lists[list].size(); ++i) {
      ASSIGN_OR_RETURN(TrackingEntry entry,
                       TrackingEntryFromJson(EntryToJson(lists[list][i], key_field_),
                                             fmt::format("{}[{}]", kListNames[list], i),
                                             key_field_, is_tag));
      (is_tag ? request.batch.tags : request.batch.params).push_back(std::move(entry));
    }
  }
  return request;
}

}  // namespace

absl::StatusOr<BatchRequest> ReadTrackingBatch(std::string_view body, BatchDialect dialect,
                                               int64_t now_millis) {
  BatchReader reader(body, dialect);
  return reader.Read(now_millis);
}

}  // namespace ty::api
