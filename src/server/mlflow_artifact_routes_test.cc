// Tests of MLflow's artifact proxy through a real server on loopback, with
// the requests MLflow's client sends for mlflow.log_artifact and
// mlflow.artifacts.download_artifacts.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/tracking_test_server.h"

namespace ty::server {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kProxy[] = "/api/2.0/mlflow-artifacts/artifacts";

class MlflowArtifactTest : public TrackingServerTest {
 protected:
  void SetUp() override {
    TrackingServerTest::SetUp();
    run_ = SubmitJob("train-1", "digits");
    token_ = IssueToken(run_);
  }

  // The run's artifact root under the proxy, as its artifact_uri names it.
  std::string Root(const store::TrackingRun& run) const {
    return std::to_string(run.experiment_id) + "/" + run.run_id + "/artifacts";
  }

  // Sends `body` as is and returns the raw response.
  http::Response Raw(std::string_view method, const std::string& target,
                           std::string_view body = {}) {
    http::Headers headers = {{"Authorization", "Bearer " + token_}};
    auto response = client_->Send(method, target, body, "application/octet-stream", headers);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  store::TrackingRun run_;
  std::string token_;
};

TEST_F(MlflowArtifactTest, RunInfoPointsAtTheProxy) {
  CallResult got = Call("GET", "/api/2.0/mlflow/runs/get?run_id=" + run_.run_id);

  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body["run"]["info"]["artifact_uri"], "mlflow-artifacts:/" + Root(run_));
}

TEST_F(MlflowArtifactTest, UploadListAndDownload) {
  std::string root = std::string(kProxy) + "/" + Root(run_);
  EXPECT_EQ(Raw("PUT", root + "/model/weights.bin", "0123456789").status, 200);
  EXPECT_EQ(Raw("POST", root + "/notes.txt", "hi").status, 200);

  CallResult top = Call("GET", std::string(kProxy) + "?path=" + Root(run_), "", token_);
  CallResult model = Call("GET", std::string(kProxy) + "?path=" + Root(run_) + "/model", "", token_);
  http::Response file = Raw("GET", root + "/model/weights.bin");

  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(top.body["files"], (json{{{"path", "model"}, {"is_dir", true}},
                                     {{"path", "notes.txt"}, {"is_dir", false}, {"file_size", 2}}}));
  EXPECT_EQ(model.body["files"],
            (json{{{"path", "weights.bin"}, {"is_dir", false}, {"file_size", 10}}}));
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, "0123456789");
  // The native API lists the same files as the job's artifacts.
  CallResult native = Call("GET", JobPath("train-1") + "/artifacts");
  ASSERT_EQ(native.body["items"].size(), 2u);
  EXPECT_EQ(native.body["items"][0]["path"], "model/weights.bin");
}

TEST_F(MlflowArtifactTest, UploadAgainReplacesTheFile) {
  std::string file = std::string(kProxy) + "/" + Root(run_) + "/a.txt";
  ASSERT_EQ(Raw("PUT", file, "old").status, 200);
  ASSERT_EQ(Raw("PUT", file, "new").status, 200);

  EXPECT_EQ(Raw("GET", file).body, "new");
}

TEST_F(MlflowArtifactTest, BadLocationsAreRejected) {
  std::string base = std::string(kProxy) + "/";
  struct Case {
    std::string target;
    int status;
    std::string message;
  } cases[] = {
      {base + Root(run_) + "/../x", 400, "path segment '..'"},
      {base + Root(run_) + "/a//b", 400, "path segment ''"},
      {base + Root(run_), 400, "names no file"},
      {base + "0/" + run_.run_id + "/other/x", 400, "does not name a run's artifacts"},
      {base + "999/" + run_.run_id + "/artifacts/x", 404, "not 999"},
  };
  for (const Case& test : cases) {
    http::Response response = Raw("PUT", test.target, "x");
    EXPECT_EQ(response.status, test.status) << test.target << ": " << response.body;
    EXPECT_THAT(response.body, HasSubstr(test.message)) << test.target;
  }
  EXPECT_EQ(Call("GET", JobPath("train-1") + "/artifacts").body["items"].size(), 0u);
}

TEST_F(MlflowArtifactTest, MissingFileAndMissingQueryAreNamed) {
  http::Response missing = Raw("GET", std::string(kProxy) + "/" + Root(run_) + "/nope.bin");
  CallResult no_path = Call("GET", kProxy, "", token_);

  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("'nope.bin' not found"));
  EXPECT_EQ(no_path.status, 400);
  EXPECT_THAT(no_path.body["message"].get<std::string>(), HasSubstr("'path'"));
}

TEST_F(MlflowArtifactTest, JobTokenReachesOnlyItsOwnRun) {
  store::TrackingRun other = SubmitJob("train-2", "digits");

  http::Response denied =
      Raw("PUT", std::string(kProxy) + "/" + Root(other) + "/stolen.bin", "x");

  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("PERMISSION_DENIED"));
  EXPECT_EQ(Call("GET", JobPath("train-2") + "/artifacts").body["items"].size(), 0u);
}

TEST_F(MlflowArtifactTest, TrackingOnlyRunStoresNone) {
  CallResult created = Call("POST", "/api/2.0/mlflow/runs/create", json{{"experiment_id", "0"}});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string run_id = created.body["run"]["info"]["run_id"];
  token_ = kAdminToken;

  http::Response rejected =
      Raw("PUT", std::string(kProxy) + "/0/" + run_id + "/artifacts/model.pt", "x");
  CallResult listed = Call("GET", std::string(kProxy) + "?path=0/" + run_id + "/artifacts");

  EXPECT_EQ(rejected.status, 400);
  EXPECT_THAT(rejected.body, HasSubstr("has no job"));
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["files"], json::array());
}

}  // namespace
}  // namespace ty::server
