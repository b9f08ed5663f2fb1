// End-to-end tests of KubernetesExecutor against the test API server: jobs
// that cannot run, each failing or waiting with a message that names the
// cause and the fix.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/backend.h"
#include "executors/kubernetes/executor_test_fixture.h"

namespace ty::executors::kubernetes::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

const std::set<std::string> kFinal = {"Completed", "Failed", "Canceled"};

TEST_F(ExecutorTest, UnschedulablePodReportsSchedulerMessage) {
  StartServer({{"nodes",
                {{{"name", "node-1"}, {"cpu", "8"}, {"memory", "32Gi"},
                  {"taints", {{{"key", "dedicated"}, {"value", "other"},
                               {"effect", "NoSchedule"}}}}}}}});
  StartExecutor();
  agent::LaunchSpec spec = Spec("tainted", "echo never");
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto starting = listener_.WaitForStatus(spec.job_id, {"Starting"});
  ASSERT_TRUE(starting.has_value());
  EXPECT_THAT(starting->message,
              HasSubstr("rank 0 is waiting to be scheduled: 0/1 nodes are available: 1 node(s) "
                        "had untolerated taint {dedicated: other}"));
  EXPECT_TRUE(listener_.WaitForRank(spec.job_id, [](const agent::StatusEvent& event) {
    return event.message.find("untolerated taint") != std::string::npos;
  }));
  ASSERT_TRUE(executor_->Cancel(spec.job_id, "cleanup").ok());
  ASSERT_TRUE(listener_.WaitForStatus(spec.job_id, kFinal).has_value());
}

TEST_F(ExecutorTest, ImagePullFailureFailsJob) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("bad-image", "echo never");
  spec.environment_name = "does-not-exist";
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("image 'does-not-exist' cannot be pulled "
                                        "(ImagePullBackOff"));
  EXPECT_THAT(final->message, HasSubstr("registry credentials"));
  // The Job is deleted, since Kubernetes would keep trying the pull.
  EXPECT_TRUE(Eventually([&] { return Object(JobPath(spec.job_id)).is_null(); }));
}

TEST_F(ExecutorTest, MissingNamespaceFailsNamingIt) {
  StartServer();
  KubernetesExecutorOptions options = Options();
  options.manifests.namespace_name = "team-a";
  StartExecutor(options);
  agent::LaunchSpec spec = Spec("lost", "echo never");
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("namespace 'team-a' does not exist on the cluster"));
  EXPECT_THAT(final->message, HasSubstr("kubectl create namespace team-a"));
}

TEST_F(ExecutorTest, MissingNamespaceIsCreatedWhenAllowed) {
  StartServer();
  KubernetesExecutorOptions options = Options();
  options.manifests.namespace_name = "team-a";
  options.create_namespace = true;
  StartExecutor(options);
  agent::LaunchSpec spec = Spec("created", "echo ran in team-a");
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto preparing = listener_.WaitForStatus(spec.job_id, {"Preparing"});
  ASSERT_TRUE(preparing.has_value());
  EXPECT_EQ(preparing->message, "created namespace 'team-a', which did not exist");
  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Completed") << final->message;
  EXPECT_FALSE(Object("/api/v1/namespaces/team-a").is_null());
}

TEST_F(ExecutorTest, GpusWhereNoneAdvertisedFailsJob) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("gpu", "nvidia-smi");
  spec.resources.gpus = 1;
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("the compute has no schedulable GPUs"));
  EXPECT_THAT(final->message, HasSubstr("no NVIDIA device plugin is installed"));
  EXPECT_TRUE(Object(JobPath(spec.job_id)).is_null());
}

TEST_F(ExecutorTest, NodeSelectorMatchingNoNodeFailsJob) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("a100", "echo never");
  spec.resources.node_selector = {{"accelerator", "a100"}};
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("no schedulable node matches the node selector "
                                        "accelerator=a100,kubernetes.io/os=linux"));
}

TEST_F(ExecutorTest, GangThatNeverFitsFailsJob) {
  StartServer({{"nodes", {{{"name", "node-1"}, {"cpu", "4"}, {"memory", "8Gi"}}}}});
  StartExecutor();
  agent::LaunchSpec spec = Spec("too-big", "echo never");
  spec.instance_count = 3;
  spec.resources.cpus = 2;
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("needs 3 instances of (cpu 2, memory 1Gi) at once"));
  EXPECT_THAT(final->message, HasSubstr("hold at most 2"));
}

TEST_F(ExecutorTest, RbacDenialFailsJobNamingVerbAndResource) {
  StartServer({{"denials", {{{"verb", "create"}, {"resource", "jobs"}}}}});
  StartExecutor();
  agent::LaunchSpec spec = Spec("denied", "echo never");
  ASSERT_TRUE(executor_->Launch(spec).ok());

  auto final = listener_.WaitForStatus(spec.job_id, kFinal);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->status, "Failed");
  EXPECT_THAT(final->message, HasSubstr("verb 'create' on 'jobs.batch' in namespace 'trainyard'"));
  EXPECT_THAT(final->message, HasSubstr("cannot create resource \"jobs\""));
}

TEST_F(ExecutorTest, LaunchRejectsWhatPodsCannotRun) {
  StartServer();
  StartExecutor();
  agent::LaunchSpec spec = Spec("local-input", "cat ${{inputs.data}}");
  spec.inputs["data"] = {.type = "uri_file", .value = "/data/train.csv", .mode = "ro_mount"};
  EXPECT_EQ(executor_->Launch(spec).code(), absl::StatusCode::kInvalidArgument);
}

class BackendTest : public ExecutorTest {
 protected:
  KubernetesBackendOptions BackendOptions(const std::string& token) {
    KubernetesBackendOptions options;
    options.kubeconfig = server_.WriteKubeconfig(token);
    options.namespace_name = kNamespace;
    return options;
  }
};

TEST_F(BackendTest, ExpiredTokenIsRejectedAtStart) {
  StartServer();
  auto backend = CreateKubernetesBackend(BackendOptions("expired"), &listener_);
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(backend.status().message(), HasSubstr("token rejected (expired?)"));
}

TEST_F(BackendTest, MissingRightsAreNamedAtStart) {
  StartServer({{"denials", {{{"verb", "list"}, {"resource", "jobs"}}}}});
  auto backend = CreateKubernetesBackend(BackendOptions(kToken), &listener_);
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(backend.status().message(), HasSubstr("verb 'list' on 'jobs.batch'"));
}

TEST_F(BackendTest, ConnectsWithKubeconfig) {
  StartServer();
  auto backend = CreateKubernetesBackend(BackendOptions(kToken), &listener_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_TRUE(backend->executor->Recover().ok());
  EXPECT_NE(backend->installer, nullptr);
  backend->executor->Shutdown();
}

TEST_F(BackendTest, UnreachableServerIsRetriedNotFatal) {
  KubernetesBackendOptions options;
  std::string dir = ::testing::TempDir();
  options.kubeconfig = dir + "/unreachable-kubeconfig";
  std::ofstream(options.kubeconfig)
      << "current-context: c\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\n"
         "contexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n"
         "  user: {token: t}\n";
  auto backend = CreateKubernetesBackend(options, &listener_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  backend->executor->Shutdown();
}

}  // namespace
}  // namespace ty::executors::kubernetes::testing
