// Tests of the MLflow tracking API through a real server on loopback: a
// recorded MLflow client session replayed from testdata, then the cases a
// session file cannot express.

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/tracking_test_server.h"

namespace ty::server {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// Replaces every "$NAME" in `text` with the captured value.
std::string Substitute(std::string text, const std::map<std::string, std::string>& variables) {
  for (const auto& [name, value] : variables) {
    for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at)) {
      text.replace(at, name.size(), value);
      at += value.size();
    }
  }
  return text;
}

// Matches `actual` against an expected pattern (see the session file's
// description) and returns the first difference, or "" when they match.
std::string Mismatch(const json& expected, const json& actual, const std::string& where,
                     std::map<std::string, std::string>& variables) {
  if (expected.is_string() && expected.get<std::string>().starts_with("$")) {
    std::string name = expected.get<std::string>();
    if (name == "$ANY") return "";
    std::string value = actual.is_string() ? actual.get<std::string>() : actual.dump();
    auto [it, inserted] = variables.try_emplace(name, value);
    return inserted || it->second == value
               ? ""
               : where + ": expected " + name + " = " + it->second + ", got " + value;
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return where + ": expected an object, got " + actual.dump();
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) return where + ": missing key '" + key + "' in " + actual.dump();
      std::string difference = Mismatch(value, actual[key], where + "." + key, variables);
      if (!difference.empty()) return difference;
    }
    return "";
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      return where + ": expected " + expected.dump() + ", got " + actual.dump();
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string difference =
          Mismatch(expected[i], actual[i], where + "[" + std::to_string(i) + "]", variables);
      if (!difference.empty()) return difference;
    }
    return "";
  }
  return expected == actual ? "" : where + ": expected " + expected.dump() + ", got " + actual.dump();
}

json LoadSession(const std::string& file) {
  std::ifstream input(std::string(TY_SERVER_TESTDATA) + "/" + file);
  std::stringstream text;
  text << input.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

class MlflowRoutesTest : public TrackingServerTest {};

TEST_F(MlflowRoutesTest, ReplaysRecordedScriptSession) {
  json session = LoadSession("mlflow_script_session.json");
  ASSERT_TRUE(session.is_object()) << "cannot read the session file under " << TY_SERVER_TESTDATA;
  std::map<std::string, std::string> variables;
  for (const json& exchange : session["exchanges"]) {
    const json& request = exchange["request"];
    std::string body = request.contains("raw_body") ? request["raw_body"].get<std::string>()
                       : request.contains("body")   ? request["body"].dump()
                                                    : "";
    std::string path = Substitute(request["path"].get<std::string>(), variables);
    CallResult result = Call(request["method"].get<std::string>(), path,
                             std::string_view(Substitute(body, variables)));

    SCOPED_TRACE(exchange["name"].get<std::string>());
    EXPECT_EQ(result.status, exchange["response"]["status"].get<int>()) << result.body;
    EXPECT_EQ(Mismatch(exchange["response"]["body"], result.body, "body", variables), "");
  }
}

class MlflowRunTest : public MlflowRoutesTest {
 protected:
  void SetUp() override {
    MlflowRoutesTest::SetUp();
    run_ = SubmitJob("train-1", "digits");
  }

  store::TrackingRun run_;
};

TEST_F(MlflowRunTest, BatchOverLimitIsInvalidParameter) {
  json metrics = json::array();
  for (int i = 0; i < 1001; ++i) {
    metrics.push_back({{"key", "loss"}, {"value", 1.0}, {"timestamp", 1}, {"step", i}});
  }
  CallResult result = Call("POST", "/api/2.0/mlflow/runs/log-batch",
                           json{{"run_id", run_.run_id}, {"metrics", metrics}});
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.body["error_code"], "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(result.body["message"].get<std::string>(), HasSubstr("limit is 1000"));

  CallResult history = Call("GET", "/api/2.0/mlflow/metrics/get-history?run_id=" + run_.run_id +
                                       "&metric_key=loss");
  EXPECT_EQ(history.body["metrics"].size(), 0u);
}

// Verifies the calls MLflow's start_run, log_metrics and end_run make in a
// job, where MLFLOW_RUN_ID and MLFLOW_TRACKING_TOKEN name the job's run.
TEST_F(MlflowRunTest, JobTokenSessionOnJobRun) {
  std::string token = IssueToken(run_);
  std::string base = "/api/2.0/mlflow/";

  CallResult got = Call("GET", base + "runs/get?run_id=" + run_.run_id, "", token);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body["run"]["info"]["run_name"], "train-1");
  EXPECT_EQ(got.body["run"]["info"]["status"], "SCHEDULED");
  EXPECT_EQ(got.body["run"]["info"]["experiment_id"], std::to_string(run_.experiment_id));

  json running = {{"run_id", run_.run_id}, {"status", "RUNNING"}};
  EXPECT_EQ(Call("POST", base + "runs/update", running, token).body["run_info"]["status"],
            "RUNNING");
  json batch = {{"run_id", run_.run_id},
                {"metrics", {{{"key", "loss"}, {"value", 0.1}, {"timestamp", 5}, {"step", 0}}}}};
  EXPECT_EQ(Call("POST", base + "runs/log-batch", batch, token).status, 200);
  CallResult experiment =
      Call("GET", base + "experiments/get-by-name?experiment_name=digits", "", token);
  EXPECT_EQ(experiment.body["experiment"]["experiment_id"], std::to_string(run_.experiment_id));

  // The native API reads what MLflow logged.
  EXPECT_EQ(Call("GET", JobPath("train-1") + "/metrics/loss").body["latest"]["value"], 0.1);

  // A job token reaches neither other runs nor admin actions.
  store::TrackingRun other = SubmitJob("train-2");
  CallResult denied = Call("GET", base + "runs/get?run_id=" + other.run_id, "", token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body["error_code"], "PERMISSION_DENIED");
  EXPECT_EQ(Call("POST", base + "runs/create", json{{"experiment_id", "0"}}, token).status, 403);
  EXPECT_EQ(Call("POST", base + "experiments/create", json{{"name", "x"}}, token).status, 403);

  CallResult unauthenticated = Call("GET", base + "runs/get?run_id=" + run_.run_id, "", "nope");
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_EQ(unauthenticated.body["error_code"], "UNAUTHENTICATED");
}

TEST_F(MlflowRunTest, ArtifactsListShowsOneLevel) {
  auto blob = blobs_->Put("bytes");
  ASSERT_TRUE(blob.ok());
  for (std::string path : {"model/model.pt", "model/config/a.json", "metrics.csv"}) {
    json record = {{"path", path}, {"digest", blob->digest}, {"size", blob->size}};
    ASSERT_EQ(Call("POST", RunPath(run_) + "/artifacts", record).status, 200);
  }
  std::string list = "/api/2.0/mlflow/artifacts/list?run_id=" + run_.run_id;
  CallResult top = Call("GET", list);
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(top.body["files"],
            (json{{{"path", "metrics.csv"}, {"is_dir", false}, {"file_size", 5}},
                  {{"path", "model"}, {"is_dir", true}}}));
  CallResult nested = Call("GET", list + "&path=model");
  EXPECT_EQ(nested.body["files"],
            (json{{{"path", "model/config"}, {"is_dir", true}},
                  {{"path", "model/model.pt"}, {"is_dir", false}, {"file_size", 5}}}));
}

TEST_F(MlflowRunTest, HistoryPagesWithToken) {
  json metrics = json::array();
  for (int i = 0; i < 30; ++i) {
    metrics.push_back({{"key", "loss"}, {"value", i}, {"timestamp", 1}, {"step", i}});
  }
  ASSERT_EQ(Call("POST", "/api/2.0/mlflow/runs/log-batch",
                 json{{"run_id", run_.run_id}, {"metrics", metrics}})
                .status,
            200);
  std::string target =
      "/api/2.0/mlflow/metrics/get-history?run_id=" + run_.run_id + "&metric_key=loss&max_results=20";
  CallResult first = Call("GET", target);
  ASSERT_EQ(first.body["metrics"].size(), 20u);
  std::string token = first.body["next_page_token"].get<std::string>();
  CallResult second = Call("GET", target + "&page_token=" + http::PercentEncode(token));
  ASSERT_EQ(second.body["metrics"].size(), 10u);
  EXPECT_EQ(second.body["metrics"][0]["step"], 20);
  EXPECT_FALSE(second.body.contains("next_page_token"));
}

TEST_F(MlflowRunTest, SearchRejectsBadFilter) {
  CallResult result = Call("POST", "/api/2.0/mlflow/runs/search",
                           json{{"experiment_ids", {"0"}}, {"filter", "metrics.loss >> 1"}});
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.body["error_code"], "INVALID_PARAMETER_VALUE");
  EXPECT_THAT(result.body["message"].get<std::string>(), HasSubstr("invalid filter"));
}

}  // namespace
}  // namespace ty::server
