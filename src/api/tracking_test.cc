#include "api/tracking.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace ty::api {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(ValidateTrackingKeyTest, AcceptsMlflowKeys) {
  for (const std::string& name : std::vector<std::string>{
           "loss", "train/loss", "val loss", "a.b-c_d", "x/y/z", "..a", std::string(250, 'k')}) {
    EXPECT_TRUE(ValidateTrackingKey("metric", "name", name).ok()) << name;
  }
}

TEST(ValidateTrackingKeyTest, RejectsBadKeysWithReason) {
  struct Case {
    std::string name;
    std::string fragment;
  };
  const Case kCases[] = {
      {"", "missing metric name"},
      {std::string(251, 'k'), "it has 251 characters"},
      {"loss:1", "position 5 is not allowed"},
      {"caf\xc3\xa9", "position 4 is not allowed"},
      {"/loss", "empty, '.' or '..' path segment"},
      {"loss/", "empty, '.' or '..' path segment"},
      {"a//b", "empty, '.' or '..' path segment"},
      {"a/./b", "empty, '.' or '..' path segment"},
      {"../a", "empty, '.' or '..' path segment"},
  };
  for (const Case& test_case : kCases) {
    absl::Status status = ValidateTrackingKey("metric", "metrics[0].name", test_case.name);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << test_case.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(test_case.fragment)) << test_case.name;
    EXPECT_EQ(ErrorField(status), "metrics[0].name");
  }
}

TEST(MetricValueTest, ReadsNumbersAndNonFiniteStrings) {
  EXPECT_EQ(*MetricValueFromJson("v", json(1.5)), 1.5);
  EXPECT_EQ(*MetricValueFromJson("v", json(3)), 3.0);
  EXPECT_EQ(*MetricValueFromJson("v", json("2.5")), 2.5);
  EXPECT_TRUE(std::isnan(*MetricValueFromJson("v", json("NaN"))));
  EXPECT_EQ(*MetricValueFromJson("v", json("Infinity")), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*MetricValueFromJson("v", json("-Infinity")),
            -std::numeric_limits<double>::infinity());
}

TEST(MetricValueTest, RejectsOtherValues) {
  for (const json& value : {json("nan"), json("inf"), json("high"), json(nullptr), json(true),
                            json::array()}) {
    absl::StatusOr<double> parsed = MetricValueFromJson("metrics[2].value", value);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_EQ(ErrorField(parsed.status()), "metrics[2].value");
  }
}

TEST(MetricValueTest, WritesNonFiniteAsStrings) {
  EXPECT_EQ(MetricValueToJson(std::nan("")), json("NaN"));
  EXPECT_EQ(MetricValueToJson(std::numeric_limits<double>::infinity()), json("Infinity"));
  EXPECT_EQ(MetricValueToJson(-std::numeric_limits<double>::infinity()), json("-Infinity"));
  EXPECT_EQ(MetricValueToJson(0.25), json(0.25));
}

TEST(Int64FromJsonTest, ReadsIntegersAndDigitStrings) {
  EXPECT_EQ(*Int64FromJson("step", json(int64_t{1} << 62)), int64_t{1} << 62);
  EXPECT_EQ(*Int64FromJson("step", json::parse("4611686018427387904")), int64_t{1} << 62);
  EXPECT_EQ(*Int64FromJson("step", json("-7")), -7);
  EXPECT_EQ(*Int64FromJson("step", json("9223372036854775807")),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*Int64FromJson("step", json(12.0)), 12);
}

TEST(Int64FromJsonTest, RejectsFractionsAndOverflow) {
  for (const json& value : {json(1.5), json::parse("9223372036854775808"), json("1e3"), json(""),
                            json("12a"), json(true), json(9.3e18)}) {
    absl::StatusOr<int64_t> parsed = Int64FromJson("step", value);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("-2^63 to 2^63-1"));
  }
}

TEST(MetricPointTest, FillsDefaults) {
  absl::StatusOr<MetricPoint> point =
      MetricPointFromJson(json{{"key", "loss"}, {"value", 0.5}}, "", "key", 1234);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(point->name, "loss");
  EXPECT_EQ(point->step, 0);
  EXPECT_EQ(point->timestamp, 1234);
}

TEST(MetricPointTest, RejectsNegativeTimestamp) {
  absl::StatusOr<MetricPoint> point = MetricPointFromJson(
      json{{"name", "loss"}, {"value", 0.5}, {"timestamp", -1}}, "metrics[0]", "name", 0);
  EXPECT_EQ(point.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(point.status()), "metrics[0].timestamp");
}

TEST(TrackingEntryTest, KeepsNumbersAsText) {
  absl::StatusOr<TrackingEntry> entry =
      TrackingEntryFromJson(json{{"name", "lr"}, {"value", 0.01}}, "params[0]", "name", false);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "0.01");
}

TEST(TrackingEntryTest, RejectsLongValues) {
  json param{{"name", "p"}, {"value", std::string(kMaxParamValueLength + 1, 'x')}};
  absl::StatusOr<TrackingEntry> entry = TrackingEntryFromJson(param, "params[0]", "name", false);
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(entry.status().message()), HasSubstr("limit is 6000"));

  json tag{{"name", "t"}, {"value", std::string(kMaxParamValueLength + 1, 'x')}};
  EXPECT_TRUE(TrackingEntryFromJson(tag, "tags[0]", "name", true).ok());
}

TEST(TrackingBatchTest, ReadsAllLists) {
  json body = json::parse(R"({"batchId": "b-1",
      "metrics": [{"name": "loss", "value": "NaN", "step": 2, "timestamp": 5}],
      "params": [{"name": "lr", "value": "0.1"}], "tags": [{"name": "t", "value": true}]})");
  absl::StatusOr<TrackingBatch> batch = TrackingBatchFromJson(body, 0);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->batch_id, "b-1");
  ASSERT_EQ(batch->metrics.size(), 1u);
  EXPECT_TRUE(std::isnan(batch->metrics[0].value));
  EXPECT_EQ(batch->params[0].value, "0.1");
  EXPECT_EQ(batch->tags[0].value, "true");
}

TEST(TrackingBatchTest, RejectsBatchOverLimitsBeforeEntries) {
  json metrics = json::array();
  for (int i = 0; i < 1001; ++i) metrics.push_back(json{{"name", "//bad"}});
  absl::StatusOr<TrackingBatch> batch = TrackingBatchFromJson(json{{"metrics", metrics}}, 0);
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(batch.status().message()),
              HasSubstr("batch has 1001 metrics but the limit is 1000"));
}

TEST(CheckBatchLimitsTest, NamesEachLimit) {
  EXPECT_TRUE(CheckBatchLimits(1000, 0, 0).ok());
  EXPECT_THAT(std::string(CheckBatchLimits(0, 101, 0).message()),
              HasSubstr("101 params but the limit is 100"));
  EXPECT_THAT(std::string(CheckBatchLimits(0, 0, 101).message()),
              HasSubstr("101 tags but the limit is 100"));
  absl::Status total = CheckBatchLimits(900, 100, 100);
  EXPECT_EQ(total.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(total.message()), HasSubstr("1100 entries"));
}

TEST(TrackingBatchTest, NamesEntryAtFault) {
  json body = json::parse(R"({"metrics": [{"name": "a", "value": 1}, {"name": "b c/", "value": 1}]})");
  absl::StatusOr<TrackingBatch> batch = TrackingBatchFromJson(body, 0);
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(batch.status()), "metrics[1].name");
}

TEST(TrackingBatchTest, RejectsBadBatchId) {
  for (const json& id : {json(""), json("a b"), json(std::string(65, 'a')), json(7)}) {
    absl::StatusOr<TrackingBatch> batch = TrackingBatchFromJson(json{{"batchId", id}}, 0);
    EXPECT_EQ(ErrorField(batch.status()), "batchId") << id;
  }
}

}  // namespace
}  // namespace ty::api
