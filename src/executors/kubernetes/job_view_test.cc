#include "executors/kubernetes/job_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::kubernetes {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

json Pod(int index, const std::string& status_json, const std::string& node = "node-1") {
  json pod = {{"metadata",
               {{"name", "job-" + std::to_string(index) + "-abcde"},
                {"creationTimestamp", "2026-01-01T00:00:00Z"},
                {"annotations", {{"batch.kubernetes.io/job-completion-index",
                                  std::to_string(index)}}}}},
              {"spec", {{"containers", {{{"name", "main"}, {"image", "python:3.11"}}}}}},
              {"status", json::parse(status_json)}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  return pod;
}

json Job(const std::string& status_json = "{}") {
  return {{"metadata", {{"name", "job"}}}, {"status", json::parse(status_json)}};
}

constexpr char kRunning[] = R"({"phase": "Running", "containerStatuses": [
    {"name": "main", "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}}}]})";

TEST(JobViewTest, AllInstancesRunningIsRunning) {
  JobView view = ViewJob(Job(), {Pod(0, kRunning), Pod(1, kRunning)}, 2, 0);
  EXPECT_EQ(view.status, "Running");
  EXPECT_TRUE(view.instances[1].logs_available);
}

TEST(JobViewTest, UnschedulablePodCarriesSchedulerMessage) {
  constexpr char kPending[] = R"({"phase": "Pending", "conditions": [{"type": "PodScheduled",
      "status": "False", "reason": "Unschedulable",
      "message": "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."}]})";
  JobView view = ViewJob(Job(), {Pod(0, kRunning), Pod(1, kPending, "")}, 2, 0);
  EXPECT_EQ(view.status, "Starting");
  EXPECT_THAT(view.message, HasSubstr("rank 1 is waiting to be scheduled: 0/1 nodes are "
                                      "available: 1 Insufficient nvidia.com/gpu."));
  EXPECT_FALSE(view.instances[1].fatal);
  EXPECT_FALSE(view.instances[1].scheduled);
}

TEST(JobViewTest, ImagePullBackOffFailsTheJob) {
  constexpr char kPullFailure[] = R"({"phase": "Pending", "containerStatuses": [{"name": "main",
      "state": {"waiting": {"reason": "ImagePullBackOff",
                            "message": "Back-off pulling image \"python:3.11\""}}}]})";
  JobView view = ViewJob(Job(), {Pod(0, kPullFailure)}, 1, 0);
  EXPECT_EQ(view.status, "Failed");
  EXPECT_EQ(view.failed_index, 0);
  EXPECT_THAT(view.message, HasSubstr("image 'python:3.11' cannot be pulled (ImagePullBackOff"));
}

TEST(JobViewTest, ErrImagePullIsRetriedFirst) {
  constexpr char kPullError[] = R"({"phase": "Pending", "containerStatuses": [{"name": "main",
      "state": {"waiting": {"reason": "ErrImagePull", "message": "timeout"}}}]})";
  JobView view = ViewJob(Job(), {Pod(0, kPullError)}, 1, 0);
  EXPECT_EQ(view.status, "Starting");
  EXPECT_FALSE(view.instances[0].fatal);
}

TEST(JobViewTest, CrashLoopBackOffFailsTheJob) {
  constexpr char kCrashing[] = R"({"phase": "Running", "containerStatuses": [{"name": "main",
      "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}]})";
  JobView view = ViewJob(Job(), {Pod(0, kCrashing)}, 1, 0);
  EXPECT_EQ(view.status, "Failed");
  EXPECT_THAT(view.message, HasSubstr("keeps crashing (CrashLoopBackOff"));
}

TEST(JobViewTest, FailedRankGivesExitCodeAndSignal) {
  constexpr char kKilled[] = R"({"phase": "Failed", "containerStatuses": [{"name": "main",
      "state": {"terminated": {"exitCode": 137, "reason": "Error"}}}]})";
  JobView view = ViewJob(Job(R"({"conditions": [{"type": "Failed", "status": "True",
                                 "reason": "BackoffLimitExceeded"}]})"),
                         {Pod(0, kRunning), Pod(1, kKilled)}, 2, 0);
  EXPECT_EQ(view.status, "Failed");
  EXPECT_EQ(view.failed_index, 1);
  EXPECT_EQ(view.exit_code, 137);
  EXPECT_EQ(view.signal, 9);
  EXPECT_EQ(view.message, "rank 1 failed with exit code 137");
}

TEST(JobViewTest, OomKilledSaysSo) {
  constexpr char kOom[] = R"({"phase": "Failed", "containerStatuses": [{"name": "main",
      "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]})";
  EXPECT_THAT(ViewPod(Pod(0, kOom), 0).message, HasSubstr("exceeding its memory limit"));
}

TEST(JobViewTest, DeadlineNamesTheLimit) {
  JobView view = ViewJob(Job(R"({"conditions": [{"type": "Failed", "status": "True",
                                 "reason": "DeadlineExceeded"}]})"),
                         {Pod(0, kRunning)}, 1, 600);
  EXPECT_EQ(view.status, "Failed");
  EXPECT_EQ(view.message, "job exceeded its time limit of 600 s");
  EXPECT_FALSE(view.failed_index.has_value());
}

TEST(JobViewTest, CompleteConditionCompletes) {
  constexpr char kDone[] = R"({"phase": "Succeeded", "containerStatuses": [{"name": "main",
      "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]})";
  JobView view = ViewJob(Job(R"({"conditions": [{"type": "Complete", "status": "True"}]})"),
                         {Pod(0, kDone)}, 1, 0);
  EXPECT_EQ(view.status, "Completed");
  EXPECT_EQ(view.exit_code, 0);
  EXPECT_EQ(view.instances[0].status, "Completed");
}

TEST(JobViewTest, InitContainerFailureIsNamed) {
  constexpr char kInitFailed[] = R"({"phase": "Failed", "initContainerStatuses": [
      {"name": "fetch-code", "state": {"terminated": {"exitCode": 2}}}]})";
  InstanceView view = ViewPod(Pod(0, kInitFailed), 0);
  EXPECT_EQ(view.status, "Failed");
  EXPECT_EQ(view.exit_code, 2);
  EXPECT_THAT(view.message, HasSubstr("init container 'fetch-code' failed"));
}

}  // namespace
}  // namespace ty::executors::kubernetes
