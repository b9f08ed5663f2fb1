// Tests of the native tracking routes through a real server on loopback.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/tracking_test_server.h"

namespace ty::server {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

json Metric(std::string name, json value, int64_t step) {
  return {{"name", std::move(name)}, {"value", std::move(value)}, {"step", step},
          {"timestamp", 1000 + step}};
}

class TrackingRoutesTest : public TrackingServerTest {
 protected:
  void SetUp() override {
    TrackingServerTest::SetUp();
    run_ = SubmitJob("train-1", "digits");
  }

  store::TrackingRun run_;
};

TEST_F(TrackingRoutesTest, BatchThenSummaryAndHistory) {
  json batch = {{"metrics", {Metric("loss", 2.0, 0), Metric("loss", 0.5, 1), Metric("acc", 0.9, 1)}},
                {"params", {{{"name", "lr"}, {"value", 0.01}}}},
                {"tags", {{{"name", "phase"}, {"value", "train"}}}}};
  CallResult stored = Call("POST", RunPath(run_) + "/metrics/batch", batch);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(stored.body, (json{{"metrics", 3}, {"params", 1}, {"tags", 1}}));

  CallResult summaries = Call("GET", JobPath("train-1") + "/metrics");
  ASSERT_EQ(summaries.status, 200) << summaries.body;
  ASSERT_EQ(summaries.body["items"].size(), 2u);
  json loss = summaries.body["items"][1];
  EXPECT_EQ(loss["name"], "loss");
  EXPECT_EQ(loss["count"], 2);
  EXPECT_EQ(loss["min"], 0.5);
  EXPECT_EQ(loss["max"], 2.0);
  EXPECT_EQ(loss["lastStep"], 1);
  EXPECT_EQ(loss["latest"], (json{{"step", 1}, {"timestamp", 1001}, {"value", 0.5}}));

  CallResult history = Call("GET", RunPath(run_) + "/metrics/loss/history");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.body["items"].size(), 2u);
  EXPECT_FALSE(history.body.contains("nextPageToken"));

  CallResult params = Call("GET", RunPath(run_) + "/params");
  EXPECT_EQ(params.body, (json{{"items", {{{"name", "lr"}, {"value", "0.01"}}}}}));
}

TEST_F(TrackingRoutesTest, SingleMetricParamAndTag) {
  EXPECT_EQ(Call("POST", JobPath("train-1") + "/metrics", Metric("loss", 1.5, 3)).status, 200);
  EXPECT_EQ(Call("POST", RunPath(run_) + "/params", json{{"name", "seed"}, {"value", "0"}}).status,
            200);
  EXPECT_EQ(Call("POST", RunPath(run_) + "/tags", json{{"name", "t"}, {"value", "x"}}).status, 200);

  CallResult conflict = Call("POST", RunPath(run_) + "/params", json{{"name", "seed"}, {"value", "1"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["error"]["code"], "AlreadyExists");
  EXPECT_EQ(conflict.body["error"]["field"], "value");

  CallResult summary = Call("GET", RunPath(run_) + "/metrics/loss");
  EXPECT_EQ(summary.body["latest"]["step"], 3);
}

TEST_F(TrackingRoutesTest, BatchOverLimitStoresNothing) {
  json metrics = json::array();
  for (int i = 0; i < 1001; ++i) metrics.push_back(Metric("loss", 1.0, i));
  CallResult rejected = Call("POST", RunPath(run_) + "/metrics/batch", json{{"metrics", metrics}});
  EXPECT_EQ(rejected.status, 413);
  EXPECT_EQ(rejected.body["error"]["code"], "ResourceExhausted");
  EXPECT_THAT(rejected.body["error"]["message"].get<std::string>(),
              HasSubstr("batch has 1001 metrics but the limit is 1000"));

  json params = json::array();
  for (int i = 0; i < 101; ++i) params.push_back({{"name", "p" + std::to_string(i)}, {"value", "v"}});
  CallResult too_many_params =
      Call("POST", RunPath(run_) + "/metrics/batch", json{{"params", params}});
  EXPECT_EQ(too_many_params.status, 413);
  EXPECT_THAT(too_many_params.body["error"]["message"].get<std::string>(),
              HasSubstr("limit is 100"));

  EXPECT_EQ(Call("GET", RunPath(run_) + "/metrics").body["items"].size(), 0u);
  EXPECT_EQ(Call("GET", RunPath(run_) + "/params").body["items"].size(), 0u);
}

TEST_F(TrackingRoutesTest, InvalidEntryRejectsWholeBatch) {
  json metrics = json::array();
  for (int i = 0; i < 999; ++i) metrics.push_back(Metric("loss", 1.0, i));
  metrics.push_back(Metric("bad//name", 1.0, 0));
  CallResult rejected = Call("POST", RunPath(run_) + "/metrics/batch", json{{"metrics", metrics}});
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(rejected.body["error"]["field"], "metrics[999].name");
  EXPECT_EQ(Call("GET", RunPath(run_) + "/metrics").body["items"].size(), 0u);
}

TEST_F(TrackingRoutesTest, NamesWithSlashesAndSpaces) {
  json batch = {{"metrics", {Metric("train/loss", 1.0, 0), Metric("val loss", 2.0, 0)}}};
  ASSERT_EQ(Call("POST", RunPath(run_) + "/metrics/batch", batch).status, 200);

  EXPECT_EQ(Call("GET", RunPath(run_) + "/metrics/train/loss").body["max"], 1.0);
  EXPECT_EQ(Call("GET", RunPath(run_) + "/metrics/train%2Floss").body["max"], 1.0);
  CallResult history = Call("GET", RunPath(run_) + "/metrics/val%20loss/history");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.body["name"], "val loss");
  EXPECT_EQ(history.body["items"][0]["value"], 2.0);

  CallResult colon = Call("POST", RunPath(run_) + "/metrics", Metric("loss:1", 1.0, 0));
  EXPECT_EQ(colon.status, 400);
  EXPECT_EQ(colon.body["error"]["field"], "name");
}

TEST_F(TrackingRoutesTest, NanAndInfinityRoundTrip) {
  json batch = {{"metrics", {Metric("v", "NaN", 0), Metric("v", "Infinity", 1),
                             Metric("v", "-Infinity", 2)}}};
  ASSERT_EQ(Call("POST", RunPath(run_) + "/metrics/batch", batch).status, 200);
  CallResult history = Call("GET", RunPath(run_) + "/metrics/v/history");
  ASSERT_EQ(history.body["items"].size(), 3u);
  EXPECT_EQ(history.body["items"][0]["value"], "NaN");
  EXPECT_EQ(history.body["items"][1]["value"], "Infinity");
  EXPECT_EQ(history.body["items"][2]["value"], "-Infinity");
  CallResult summary = Call("GET", RunPath(run_) + "/metrics/v");
  EXPECT_EQ(summary.body["min"], "-Infinity");
  EXPECT_EQ(summary.body["max"], "Infinity");
  EXPECT_EQ(summary.body["latest"]["value"], "-Infinity");
}

TEST_F(TrackingRoutesTest, HugeStepReadsBackExactly) {
  ASSERT_EQ(Call("POST", RunPath(run_) + "/metrics",
                 R"({"name": "loss", "value": 1, "step": 4611686018427387904})")
                .status,
            200);
  CallResult history = Call("GET", RunPath(run_) + "/metrics/loss/history");
  EXPECT_EQ(history.body["items"][0]["step"].get<int64_t>(), int64_t{1} << 62);
  CallResult overflow = Call("POST", RunPath(run_) + "/metrics",
                             R"({"name": "loss", "value": 1, "step": 9223372036854775808})");
  EXPECT_EQ(overflow.status, 400);
  EXPECT_EQ(overflow.body["error"]["field"], "step");
}

TEST_F(TrackingRoutesTest, TenThousandMetricNames) {
  for (int batch_number = 0; batch_number < 10; ++batch_number) {
    json metrics = json::array();
    for (int i = 0; i < 1000; ++i) {
      metrics.push_back(Metric("m" + std::to_string(batch_number * 1000 + i), i, 0));
    }
    ASSERT_EQ(Call("POST", RunPath(run_) + "/metrics/batch", json{{"metrics", metrics}}).status, 200);
  }
  size_t names = 0;
  std::string token;
  do {
    std::string target = RunPath(run_) + "/metrics?pageSize=1000";
    if (!token.empty()) target += "&pageToken=" + token;
    CallResult page = Call("GET", target);
    ASSERT_EQ(page.status, 200) << page.body;
    names += page.body["items"].size();
    token = page.body.value("nextPageToken", "");
  } while (!token.empty());
  EXPECT_EQ(names, 10000u);
}

TEST_F(TrackingRoutesTest, UnknownRunAndJobAreNotFound) {
  CallResult run = Call("GET", "/api/v1/runs/0123456789abcdef0123456789abcdef/metrics");
  EXPECT_EQ(run.status, 404);
  EXPECT_THAT(run.body["error"]["message"].get<std::string>(),
              HasSubstr("run '0123456789abcdef0123456789abcdef' not found"));
  EXPECT_EQ(Call("POST", JobPath("nope") + "/metrics", Metric("loss", 1.0, 0)).status, 404);
}

TEST_F(TrackingRoutesTest, MalformedJsonNamesPosition) {
  CallResult result = Call("POST", RunPath(run_) + "/metrics/batch", R"({"metrics": [)");
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.body["error"]["code"], "InvalidArgument");
  EXPECT_THAT(result.body["error"]["message"].get<std::string>(), HasSubstr("not valid JSON"));
  EXPECT_THAT(result.body["error"]["message"].get<std::string>(), HasSubstr("byte 14"));
}

TEST_F(TrackingRoutesTest, RetriedBatchStoredOnce) {
  json batch = {{"batchId", "b1"}, {"metrics", {Metric("loss", 1.0, 0)}}};
  EXPECT_FALSE(Call("POST", RunPath(run_) + "/metrics/batch", batch).body.contains("duplicate"));
  CallResult again = Call("POST", RunPath(run_) + "/metrics/batch", batch);
  EXPECT_EQ(again.body["duplicate"], true);
  EXPECT_EQ(Call("GET", RunPath(run_) + "/metrics/loss").body["count"], 1);
}

TEST_F(TrackingRoutesTest, JobTokenLogsOnlyToItsRun) {
  std::string token = IssueToken(run_);
  store::TrackingRun other = SubmitJob("train-2");

  EXPECT_EQ(Call("POST", RunPath(run_) + "/metrics", Metric("loss", 1.0, 0), token).status, 200);
  EXPECT_EQ(Call("GET", JobPath("train-1") + "/metrics", "", token).status, 200);

  CallResult other_run = Call("POST", RunPath(other) + "/metrics", Metric("loss", 1.0, 0), token);
  EXPECT_EQ(other_run.status, 403);
  EXPECT_EQ(other_run.body["error"]["code"], "PermissionDenied");
  EXPECT_EQ(Call("GET", JobPath("train-2") + "/metrics", "", token).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups", "", token).status, 403);
  EXPECT_EQ(Call("GET", JobPath("train-1"), "", token).status, 403);

  EXPECT_EQ(Call("GET", RunPath(run_), "", "tyjob_unknown").status, 401);
  // A client cannot pick the run by sending the marker header itself.
  http::Headers spoofed = {{"Authorization", "Bearer wrong"}, {"x-trainyard-job-run", run_.run_id}};
  auto response = client_->Send("GET", RunPath(run_), "", "application/json", spoofed);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 401);
}

TEST_F(TrackingRoutesTest, RunRecordAndWorkspaceList) {
  CallResult run = Call("GET", JobPath("train-1") + "/run");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.body["runId"], run_.run_id);
  EXPECT_EQ(run.body["experimentName"], "digits");
  EXPECT_EQ(run.body["jobName"], "train-1");
  EXPECT_EQ(run.body["status"], "SCHEDULED");

  CallResult listed = Call("GET", "/api/v1/resourceGroups/rg/workspaces/ws/runs?experiment=digits");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_EQ(listed.body["items"][0]["runId"], run_.run_id);
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg/workspaces/ws/runs?experiment=none")
                .body["items"].size(),
            0u);
}

TEST_F(TrackingRoutesTest, ArtifactRecordListsUnderJob) {
  auto blob = blobs_->Put("weights");
  ASSERT_TRUE(blob.ok());
  json record = {{"path", "model/model.pt"}, {"digest", blob->digest}, {"size", blob->size}};
  std::string token = IssueToken(run_);
  CallResult stored = Call("POST", RunPath(run_) + "/artifacts", record, token);
  ASSERT_EQ(stored.status, 200) << stored.body;
  CallResult listed = Call("GET", JobPath("train-1") + "/artifacts");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.body["items"][0]["path"], "model/model.pt");

  record["path"] = "../escape";
  EXPECT_EQ(Call("POST", RunPath(run_) + "/artifacts", record).body["error"]["field"], "path");
  record["path"] = "c:\\evil";
  EXPECT_EQ(Call("POST", RunPath(run_) + "/artifacts", record).body["error"]["field"], "path");
  record["path"] = "line\nbreak";
  EXPECT_EQ(Call("POST", RunPath(run_) + "/artifacts", record).body["error"]["field"], "path");
  record["path"] = "model/other.pt";
  record["size"] = blob->size + 997;
  CallResult wrong_size = Call("POST", RunPath(run_) + "/artifacts", record, token);
  EXPECT_EQ(wrong_size.status, 400) << wrong_size.body;
  EXPECT_EQ(wrong_size.body["error"]["field"], "size");
  record["size"] = blob->size;
  record["path"] = "x";
  record["digest"] = "sha256:" + std::string(64, '0');
  EXPECT_EQ(Call("POST", RunPath(run_) + "/artifacts", record).body["error"]["field"], "digest");
}

}  // namespace
}  // namespace ty::server
