// Job submission, admission against capacity, cancel and logs, through the
// real router and store.

#include <gtest/gtest.h>

#include <thread>

#include "common/sha256.h"
#include "server/api_test_fixture.h"
#include "store/job_logs.h"
#include "store/jobs.h"

namespace ty::server {
namespace {

class JobRoutesTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    CreateBasics();
    CreateExtension({{"enableTraining", "True"}}, true);
    ASSERT_EQ(Attach().status, 201);
  }

  ApiResult Submit(std::string_view yaml) {
    return Call("POST", std::string(kWorkspacePath) + "/jobs", yaml);
  }

  void AddInstanceType(std::string_view name, const nlohmann::json& requests) {
    ApiResult created = Post(std::string(kWorkspacePath) + "/computes/k8s/instanceTypes",
                             {{"name", name}, {"resources", {{"requests", requests}}}});
    ASSERT_EQ(created.status, 201) << created.raw;
  }

  std::string JobPath(std::string_view name) {
    return std::string(kWorkspacePath) + "/jobs/" + std::string(name);
  }
};

TEST_F(JobRoutesTest, QueuesWhileAgentHasNotReported) {
  ApiResult job = Submit("command: echo hi\ncompute: azureml:k8s\nname: first\n");
  ASSERT_EQ(job.status, 201) << job.raw;
  EXPECT_EQ(job.body["properties"]["status"], "Queued");
  EXPECT_NE(job.body["properties"]["statusMessage"].get<std::string>().find("waiting for the agent"),
            std::string::npos);
  EXPECT_EQ(job.body["properties"]["history"].size(), 1u);

  ApiResult duplicate = Submit("command: echo hi\ncompute: k8s\nname: first\n");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.code(), "AlreadyExists");
}

TEST_F(JobRoutesTest, GeneratesUniqueNames) {
  ApiResult a = Submit(R"({"command": "echo a", "compute": "k8s"})");
  ApiResult b = Submit(R"({"command": "echo b", "compute": "k8s"})");
  ASSERT_EQ(a.status, 201) << a.raw;
  ASSERT_EQ(b.status, 201);
  EXPECT_NE(a.body["name"], b.body["name"]);
  EXPECT_EQ(Call("GET", std::string(kWorkspacePath) + "/jobs").body["items"].size(), 2u);
}

TEST_F(JobRoutesTest, UnknownComputeListsExisting) {
  ApiResult job = Submit("command: echo hi\ncompute: gpu\n");
  EXPECT_EQ(job.status, 400);
  EXPECT_EQ(job.field(), "compute");
  EXPECT_NE(job.message().find("'k8s'"), std::string::npos) << job.raw;
}

TEST_F(JobRoutesTest, TrainingDisabledLaterRejectsSubmit) {
  ApiResult patched = Call("PATCH", std::string(kClusterPath) + "/extensions/ml",
                           R"({"configurationSettings": {"enableTraining": "False"}})");
  ASSERT_EQ(patched.status, 200) << patched.raw;
  ApiResult job = Submit("command: echo hi\ncompute: k8s\n");
  EXPECT_EQ(job.status, 409);
  EXPECT_NE(job.message().find("enableTraining=True"), std::string::npos) << job.raw;
  EXPECT_NE(job.message().find("trainyard k8s-extension update"), std::string::npos);
}

TEST_F(JobRoutesTest, SettingsUpdateKeepsAcceptingJobs) {
  ApiResult patched = Call("PATCH", std::string(kClusterPath) + "/extensions/ml",
                           R"({"configurationSettings": {"logAnalyticsWS": "True"}})");
  ASSERT_EQ(patched.status, 200) << patched.raw;
  ASSERT_EQ(patched.body["properties"]["installState"], "Pending");
  EXPECT_EQ(Submit("command: echo hi\ncompute: k8s\n").status, 201);

  ASSERT_TRUE(store::UpdateExtensionStatus(*database_, kClusterId, "ml",
                                           api::InstallState::kFailed, nlohmann::json::array())
                  .ok());
  ApiResult failed = Submit("command: echo hi\ncompute: k8s\n");
  EXPECT_EQ(failed.status, 409);
  EXPECT_NE(failed.message().find("Failed"), std::string::npos) << failed.raw;
}

TEST_F(JobRoutesTest, InstanceTypeLargerThanAnyNode) {
  ReportCapacity(Capacity(8, 32, 0));
  AddInstanceType("huge", {{"cpu", "512"}, {"memory", "4Gi"}});
  ApiResult job = Submit("command: echo hi\ncompute: k8s\nresources: {instance_type: huge}\n");
  EXPECT_EQ(job.status, 409);
  EXPECT_EQ(job.field(), "resources.instance_type");
  EXPECT_NE(job.message().find("'huge'"), std::string::npos) << job.raw;
  EXPECT_NE(job.message().find("512"), std::string::npos);
  EXPECT_NE(job.message().find("node 'host' has 8 CPUs, 32Gi memory"), std::string::npos)
      << job.raw;
}

TEST_F(JobRoutesTest, GpuRequestedWhereNoneExist) {
  ReportCapacity(Capacity(8, 32, 0));
  AddInstanceType("gpu1", {{"cpu", "1"}, {"nvidia.com/gpu", 1}});
  ApiResult job = Submit("command: echo hi\ncompute: k8s\nresources: {instance_type: gpu1}\n");
  EXPECT_EQ(job.status, 409);
  EXPECT_NE(job.message().find("no schedulable GPUs"), std::string::npos) << job.raw;
  EXPECT_NE(job.message().find("installNvidiaDevicePlugin is True"), std::string::npos);
}

TEST_F(JobRoutesTest, GangThatNeverFitsNamesResource) {
  ReportCapacity(Capacity(8, 24, 0));
  AddInstanceType("mem20", {{"cpu", "1"}, {"memory", "20Gi"}});
  ApiResult job = Submit(
      "command: echo hi\ncompute: k8s\nresources: {instance_type: mem20, instance_count: 2}\n");
  EXPECT_EQ(job.status, 409);
  EXPECT_NE(job.message().find("40Gi memory in total"), std::string::npos) << job.raw;
  EXPECT_NE(job.message().find("24Gi"), std::string::npos);
}

TEST_F(JobRoutesTest, FittingJobIsQueued) {
  ReportCapacity(Capacity(8, 32, 0));
  ApiResult job = Submit("command: echo hi\ncompute: k8s\n");
  ASSERT_EQ(job.status, 201) << job.raw;
  EXPECT_EQ(job.body["properties"]["statusMessage"], "waiting for the scheduler");
}

TEST_F(JobRoutesTest, CancelQueuedThenAgain) {
  ASSERT_EQ(Submit("command: echo hi\ncompute: k8s\nname: j\n").status, 201);
  ApiResult canceled = Call("POST", JobPath("j") + "/cancel");
  ASSERT_EQ(canceled.status, 200) << canceled.raw;
  EXPECT_EQ(canceled.body["properties"]["status"], "Canceled");
  ApiResult again = Call("POST", JobPath("j") + "/cancel");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["properties"]["history"].size(), 2u);
}

TEST_F(JobRoutesTest, CancelRunningRequestsStop) {
  ASSERT_EQ(Submit("command: echo hi\ncompute: k8s\nname: j\n").status, 201);
  store::JobStatusUpdate running;
  running.job_id = "/resourceGroups/rg/workspaces/ws/jobs/j";
  running.status = api::JobStatus::kRunning;
  running.time_millis = 1;
  ASSERT_TRUE(store::AppendJobStatus(*database_, notifier_, running).ok());
  ApiResult requested = Call("POST", JobPath("j") + "/cancel");
  EXPECT_EQ(requested.body["properties"]["status"], "CancelRequested");
}

TEST_F(JobRoutesTest, ListFiltersByStatus) {
  ASSERT_EQ(Submit("command: echo hi\ncompute: k8s\nname: a\n").status, 201);
  ASSERT_EQ(Submit("command: echo hi\ncompute: k8s\nname: b\n").status, 201);
  ASSERT_EQ(Call("POST", JobPath("a") + "/cancel").status, 200);
  ApiResult queued = Call("GET", std::string(kWorkspacePath) + "/jobs?status=Queued");
  ASSERT_EQ(queued.body["items"].size(), 1u);
  EXPECT_EQ(queued.body["items"][0]["name"], "b");
  EXPECT_EQ(Call("GET", std::string(kWorkspacePath) + "/jobs?status=Bogus").status, 400);
}

TEST_F(JobRoutesTest, CodeSnapshotMustBeUploaded) {
  std::string digest = Sha256Digest("code");
  ApiResult missing = Call("POST", std::string(kWorkspacePath) + "/jobs?codeSnapshot=" + digest,
                           "command: echo hi\ncompute: k8s\n");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.field(), "codeSnapshot");

  ApiResult blob = Call("POST", "/api/v1/blobs", "code");
  ASSERT_EQ(blob.status, 200);
  EXPECT_EQ(blob.body["digest"], digest);
  ApiResult job = Call("POST", std::string(kWorkspacePath) + "/jobs?codeSnapshot=" + digest,
                       "command: echo hi\ncompute: k8s\n");
  ASSERT_EQ(job.status, 201) << job.raw;
  EXPECT_EQ(job.body["properties"]["codeSnapshot"], digest);
}

TEST_F(JobRoutesTest, LogsLongPollWakesOnNewLines) {
  ASSERT_EQ(Submit("command: echo hi\ncompute: k8s\nname: j\n").status, 201);
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    store::LogChunk chunk;
    chunk.job_id = "/resourceGroups/rg/workspaces/ws/jobs/j";
    chunk.node = "host";
    chunk.stream = "stdout";
    chunk.lines = {{5, "hello"}};
    EXPECT_TRUE(store::AppendLogLines(*database_, notifier_, chunk).ok());
  });
  ApiResult logs = Call("GET", JobPath("j") + "/logs?after=0&wait=30");
  writer.join();
  ASSERT_EQ(logs.status, 200) << logs.raw;
  ASSERT_EQ(logs.body["lines"].size(), 1u);
  EXPECT_EQ(logs.body["lines"][0]["text"], "hello");
  EXPECT_EQ(logs.body["nextSeq"], 1);
  EXPECT_FALSE(logs.body["complete"]);

  EXPECT_EQ(Call("GET", JobPath("j") + "/logs?wait=61").status, 400);
}

}  // namespace
}  // namespace ty::server
