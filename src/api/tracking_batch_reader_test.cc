#include "api/tracking_batch_reader.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_cursor.h"

namespace ty::api {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

bool SamePoints(const MetricPoint& a, const MetricPoint& b) {
  bool same_value = a.value == b.value || (std::isnan(a.value) && std::isnan(b.value));
  return a.name == b.name && same_value && a.step == b.step && a.timestamp == b.timestamp;
}

// Verifies that the one-pass reader and the tree-based reader agree, result
// and error alike, on a body of the native dialect.
void ExpectSameAsTreeReader(const std::string& body) {
  absl::StatusOr<BatchRequest> fast = ReadTrackingBatch(body, BatchDialect::kNative, 77);
  absl::StatusOr<TrackingBatch> tree = TrackingBatchFromJson(json::parse(body), 77);
  ASSERT_EQ(fast.status().code(), tree.status().code()) << body << "\n" << fast.status();
  if (!tree.ok()) {
    EXPECT_EQ(fast.status().message(), tree.status().message()) << body;
    EXPECT_EQ(ErrorField(fast.status()), ErrorField(tree.status())) << body;
    return;
  }
  EXPECT_EQ(fast->batch.batch_id, tree->batch_id);
  ASSERT_EQ(fast->batch.metrics.size(), tree->metrics.size()) << body;
  for (size_t i = 0; i < tree->metrics.size(); ++i) {
    EXPECT_TRUE(SamePoints(fast->batch.metrics[i], tree->metrics[i])) << body << " point " << i;
  }
  ASSERT_EQ(fast->batch.params.size(), tree->params.size()) << body;
  for (size_t i = 0; i < tree->params.size(); ++i) {
    EXPECT_EQ(fast->batch.params[i].value, tree->params[i].value) << body;
  }
  ASSERT_EQ(fast->batch.tags.size(), tree->tags.size()) << body;
}

TEST(ReadTrackingBatchTest, AgreesWithTreeReader) {
  const std::vector<std::string> kBodies = {
      R"({})",
      R"({"batchId": "b-1", "metrics": [{"name": "loss", "value": 0.5, "step": 3, "timestamp": 9}]})",
      R"({"metrics": [{"name": "train/loss", "value": "NaN"}, {"name": "val loss", "value": "-Infinity", "step": "-4"}]})",
      R"({"metrics": [{"value": 1e300, "name": "big"}, {"name": "s", "value": "2.5", "step": 4611686018427387904}]})",
      R"({"metrics": [{"name": "x", "value": 1, "step": 1.0, "extra": {"nested": [1, 2]}}]})",
      R"({"metrics": [{"name": "tab\u0041", "value": 1}], "params": [{"name": "lr", "value": 0.01}], "tags": [{"name": "t", "value": false}]})",
      R"({"metrics": null, "params": [{"name": "p", "value": "v"}]})",
      R"({"metrics": [{"name": "a//b", "value": 1}]})",
      R"({"metrics": [{"name": 7, "value": 1}]})",
      R"({"metrics": [{"name": "a", "value": "high"}]})",
      R"({"metrics": [{"name": "a"}]})",
      R"({"metrics": [{"name": "a", "value": 1, "step": 1.5}]})",
      R"({"metrics": [{"name": "a", "value": 1, "step": 9223372036854775808}]})",
      R"({"metrics": [{"name": "a", "value": 1, "timestamp": -1}]})",
      R"({"metrics": [3]})",
      R"({"metrics": {"name": "a"}})",
      R"({"params": [{"name": "p", "value": [1]}]})",
      R"({"params": [{"name": "p"}]})",
      R"({"tags": [{"name": "", "value": "v"}]})",
      R"({"batchId": "a b"})",
      R"({"batchId": 5})",
  };
  for (const std::string& body : kBodies) ExpectSameAsTreeReader(body);
}

TEST(ReadTrackingBatchTest, RejectsNumberOutsideDoubleRange) {
  absl::StatusOr<BatchRequest> read = ReadTrackingBatch(
      R"({"metrics": [{"name": "big", "value": 1e400}]})", BatchDialect::kNative, 0);
  EXPECT_EQ(ErrorField(read.status()), "metrics[0].value");
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("\"1e400\""));
}

TEST(ReadTrackingBatchTest, LimitComesBeforeEntryErrors) {
  std::string body = R"({"metrics": [)";
  for (int i = 0; i < 1001; ++i) body += std::string(i ? "," : "") + R"({"name": "//bad"})";
  body += "]}";
  absl::StatusOr<BatchRequest> read = ReadTrackingBatch(body, BatchDialect::kNative, 0);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("limit is 1000"));
}

TEST(ReadTrackingBatchTest, ReadsMlflowDialect) {
  std::string body = R"({"run_uuid": "u", "run_id": "r", "metrics": [{"key": "loss", "value": 1,
      "timestamp": "1700000000000", "step": "2"}], "params": [{"key": "lr", "value": "0.1"}],
      "tags": [{"key": "mlflow.runName", "value": "x"}]})";
  absl::StatusOr<BatchRequest> read = ReadTrackingBatch(body, BatchDialect::kMlflow, 0);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->run_id, "r");
  ASSERT_EQ(read->batch.metrics.size(), 1u);
  EXPECT_EQ(read->batch.metrics[0].timestamp, 1700000000000);
  EXPECT_EQ(read->batch.metrics[0].step, 2);
  EXPECT_EQ(read->batch.params[0].name, "lr");
  EXPECT_EQ(read->batch.tags[0].name, "mlflow.runName");

  absl::StatusOr<BatchRequest> uuid_only =
      ReadTrackingBatch(R"({"run_uuid": "u"})", BatchDialect::kMlflow, 0);
  EXPECT_EQ(uuid_only->run_id, "u");
  absl::StatusOr<BatchRequest> wrong_key =
      ReadTrackingBatch(R"({"metrics": [{"name": "loss", "value": 1}]})", BatchDialect::kMlflow, 0);
  EXPECT_EQ(ErrorField(wrong_key.status()), "metrics[0].key");
}

TEST(ReadTrackingBatchTest, MalformedJsonIsMarked) {
  for (std::string body : {R"({"metrics": [)", R"({"metrics": [{"name": "a" "value": 1}]})",
                           R"({"metrics": []} extra)", "", "[1]"}) {
    absl::StatusOr<BatchRequest> read = ReadTrackingBatch(body, BatchDialect::kNative, 0);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << body;
    if (body != "[1]") EXPECT_TRUE(IsMalformedJson(read.status())) << body;
  }
  absl::StatusOr<BatchRequest> array = ReadTrackingBatch("[1]", BatchDialect::kNative, 0);
  EXPECT_FALSE(IsMalformedJson(array.status()));
  EXPECT_THAT(std::string(array.status().message()), HasSubstr("not a JSON object"));
}

}  // namespace
}  // namespace ty::api
