#include "executors/kubernetes/manifests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/launcher.h"

namespace ty::executors::kubernetes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

constexpr int64_t kGi = int64_t{1} << 30;

agent::LaunchSpec Spec() {
  agent::LaunchSpec spec;
  spec.job_id = "rg/ws/train-digits";
  spec.command = "python train.py --lr ${{inputs.lr}} --out ${{outputs.model}}";
  spec.inputs["lr"] = {.type = "literal", .value = "0.1"};
  spec.outputs = {"model"};
  spec.environment = {{"EPOCHS", "3"}, {"PRICE", "$(HOME) costs $5"}};
  spec.environment_name = "python:3.11";
  return spec;
}

// The instance type "gpu-small": requests cpu 4 and memory 16Gi, limits
// cpu 4, memory 16Gi and one GPU, node selector accelerator=a100.
PodResources GpuSmall() {
  PodResources resources;
  resources.requests = {.cpu_millis = 4000, .memory_bytes = 16 * kGi};
  resources.limits = {.cpu_millis = 4000, .memory_bytes = 16 * kGi, .gpus = 1};
  resources.node_selector = {{"accelerator", "a100"}};
  return resources;
}

const json& PodSpecOf(const JobManifests& manifests) {
  return manifests.job["spec"]["template"]["spec"];
}

const json& MainContainer(const JobManifests& manifests) {
  return PodSpecOf(manifests)["containers"][0];
}

std::map<std::string, std::string> EnvOf(const JobManifests& manifests) {
  std::map<std::string, std::string> env;
  for (const json& entry : MainContainer(manifests)["env"]) {
    env[entry["name"]] = entry["value"];
  }
  return env;
}

JobManifests Build(const agent::LaunchSpec& spec, const PodResources& resources,
                   const std::string& code = "", ManifestOptions options = {}) {
  auto manifests = BuildJobManifests(spec, resources, code, options);
  EXPECT_TRUE(manifests.ok()) << manifests.status();
  return manifests.ok() ? *manifests : JobManifests{};
}

// Verifies that pod resources equal the instance type exactly, with no
// default added, and that the node selector is merged with the cluster's
// and kubernetes.io/os: linux.
TEST(ManifestsTest, PodResourcesEqualInstanceType) {
  ManifestOptions options;
  options.node_selector = {{"pool", "training"}};
  JobManifests manifests = Build(Spec(), GpuSmall(), "", options);

  EXPECT_EQ(MainContainer(manifests)["resources"],
            json::parse(R"({"requests": {"cpu": "4", "memory": "16Gi"},
                            "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}})"));
  EXPECT_EQ(PodSpecOf(manifests)["nodeSelector"],
            json::parse(R"({"accelerator": "a100", "kubernetes.io/os": "linux",
                            "pool": "training"})"));
}

TEST(ManifestsTest, NoResourcesMeansNoneSet) {
  JobManifests manifests = Build(Spec(), PodResources{});
  EXPECT_EQ(MainContainer(manifests)["resources"], json::object());
  EXPECT_EQ(PodSpecOf(manifests)["nodeSelector"], json::parse(R"({"kubernetes.io/os": "linux"})"));
  EXPECT_TRUE(PodSpecOf(manifests)["tolerations"].empty());
}

TEST(ManifestsTest, GpuPodsTolerateGpuTaint) {
  JobManifests manifests = Build(Spec(), GpuSmall());
  EXPECT_EQ(PodSpecOf(manifests)["tolerations"],
            json::parse(R"([{"key": "nvidia.com/gpu", "operator": "Exists",
                             "effect": "NoSchedule"}])"));
}

TEST(ManifestsTest, InstanceTypeTolerationsReachPods) {
  PodResources resources = GpuSmall();
  resources.tolerations = {{.key = "dedicated", .value = "ml", .effect = "NoSchedule"}};
  JobManifests manifests = Build(Spec(), resources);
  EXPECT_EQ(PodSpecOf(manifests)["tolerations"],
            json::parse(R"([{"key": "dedicated", "operator": "Equal", "value": "ml",
                             "effect": "NoSchedule"},
                            {"key": "nvidia.com/gpu", "operator": "Exists",
                             "effect": "NoSchedule"}])"));
}

TEST(ManifestsTest, LaunchRequestsBecomePodResources) {
  agent::ResourceRequest request{.cpus = 0.5, .memory_bytes = 2 * kGi, .gpus = 2,
                                 .node_selector = {{"zone", "a"}}};
  PodResources resources = PodResourcesFromLaunch(request);
  EXPECT_EQ(resources.requests.cpu_millis, 500);
  EXPECT_EQ(resources.requests.memory_bytes, 2 * kGi);
  EXPECT_FALSE(resources.requests.gpus.has_value());
  EXPECT_EQ(resources.limits.gpus, 2);
  EXPECT_FALSE(resources.limits.cpu_millis.has_value());
  EXPECT_FALSE(resources.limits.memory_bytes.has_value());
  EXPECT_EQ(resources.node_selector.at("zone"), "a");
}

TEST(ManifestsTest, LaunchLimitsBecomePodLimits) {
  agent::ResourceRequest request{.cpus = 4, .memory_bytes = 16 * kGi, .gpus = 1,
                                 .cpu_limit = 4, .memory_limit_bytes = 16 * kGi};
  PodResources resources = PodResourcesFromLaunch(request);
  EXPECT_EQ(resources.limits.cpu_millis, 4000);
  EXPECT_EQ(resources.limits.memory_bytes, 16 * kGi);
  EXPECT_EQ(resources.limits.gpus, 1);
}

TEST(ManifestsTest, LaunchTolerationsBecomePodTolerations) {
  agent::ResourceRequest request;
  request.tolerations = {{.key = "spot", .operator_name = "Exists"}};
  EXPECT_EQ(PodResourcesFromLaunch(request).tolerations, request.tolerations);
}

// Verifies that a job with outputs uploads them after its command, from
// node rank 0 only, and keeps the command's exit code.
TEST(ManifestsTest, OutputsUploadedAfterCommand) {
  JobManifests manifests = Build(Spec(), PodResources{});
  std::string script = MainContainer(manifests)["command"][2].get<std::string>();
  EXPECT_THAT(script, HasSubstr("python3 - 'model' <<'TRAINYARD_UPLOAD'"));
  EXPECT_THAT(script, HasSubstr("if [ \"$${JOB_COMPLETION_INDEX:-0}\" = 0 ]"));
  EXPECT_THAT(script, HasSubstr("exit \"$$code\""));
  EXPECT_LT(script.find("exec /bin/sh -c"), script.find("TRAINYARD_UPLOAD"));
}

TEST(ManifestsTest, NoOutputsLeavesLauncherAlone) {
  agent::LaunchSpec spec = Spec();
  spec.outputs.clear();
  spec.command = "python train.py --lr ${{inputs.lr}}";
  JobManifests manifests = Build(spec, PodResources{});
  std::string script = MainContainer(manifests)["command"][2].get<std::string>();
  EXPECT_THAT(script, Not(HasSubstr("TRAINYARD_UPLOAD")));
}

TEST(ManifestsTest, JobIsIndexedGangWithoutRetries) {
  agent::LaunchSpec spec = Spec();
  spec.instance_count = 3;
  spec.timeout = std::chrono::seconds(600);
  JobManifests manifests = Build(spec, PodResources{});
  const json& job_spec = manifests.job["spec"];
  EXPECT_EQ(job_spec["completionMode"], "Indexed");
  EXPECT_EQ(job_spec["completions"], 3);
  EXPECT_EQ(job_spec["parallelism"], 3);
  EXPECT_EQ(job_spec["backoffLimit"], 0);
  EXPECT_EQ(job_spec["activeDeadlineSeconds"], 600);
  EXPECT_EQ(job_spec["suspend"], true);
  EXPECT_EQ(PodSpecOf(manifests)["restartPolicy"], "Never");
  EXPECT_EQ(PodSpecOf(manifests)["subdomain"], manifests.names.service);
}

TEST(ManifestsTest, NoTimeoutMeansNoDeadline) {
  JobManifests manifests = Build(Spec(), PodResources{});
  EXPECT_FALSE(manifests.job["spec"].contains("activeDeadlineSeconds"));
}

TEST(ManifestsTest, ObjectsCarryJobLabelsAndAnnotations) {
  ManifestOptions options;
  options.owner = "rg/cluster-1";
  JobManifests manifests = Build(Spec(), PodResources{}, "tar bytes", options);
  for (const json* object : {&manifests.job, &manifests.service, &*manifests.code,
                             &manifests.job["spec"]["template"]}) {
    const json& metadata = (*object)["metadata"];
    EXPECT_EQ(metadata["labels"][kManagedByLabel], "trainyard");
    EXPECT_EQ(metadata["labels"][kOwnerLabel], "rg-cluster-1");
    EXPECT_EQ(metadata["labels"][kJobLabel], manifests.names.job);
    EXPECT_EQ(metadata["annotations"][kJobIdAnnotation], "rg/ws/train-digits");
  }
  json layout = json::parse(manifests.job["metadata"]["annotations"][kLayoutAnnotation].get<std::string>());
  EXPECT_EQ(layout["instances"], 1);
  EXPECT_EQ(layout["outputs"], json::array({"model"}));
}

TEST(ManifestsTest, ServiceIsHeadlessAndSelectsJobPods) {
  JobManifests manifests = Build(Spec(), PodResources{});
  const json& spec = manifests.service["spec"];
  EXPECT_EQ(spec["clusterIP"], "None");
  EXPECT_EQ(spec["selector"][kJobLabel], manifests.names.job);
  EXPECT_EQ(spec["publishNotReadyAddresses"], true);
}

TEST(ManifestsTest, CodeSnapshotComesThroughInitContainer) {
  JobManifests with_code = Build(Spec(), PodResources{}, "tar bytes");
  ASSERT_TRUE(with_code.code.has_value());
  EXPECT_EQ((*with_code.code)["binaryData"][kSnapshotKey], "dGFyIGJ5dGVz");
  const json& init = PodSpecOf(with_code)["initContainers"][0];
  EXPECT_THAT(init["command"][2].get<std::string>(),
              HasSubstr("tar -xf /trainyard/snapshot/code.tar -C /trainyard/code"));
  EXPECT_EQ(MainContainer(with_code)["workingDir"], kCodeDir);

  JobManifests without_code = Build(Spec(), PodResources{});
  EXPECT_FALSE(without_code.code.has_value());
  EXPECT_FALSE(PodSpecOf(without_code).contains("initContainers"));
}

TEST(ManifestsTest, CommandResolvesInputsAndOutputs) {
  std::map<std::string, std::string> env = EnvOf(Build(Spec(), PodResources{}));
  EXPECT_EQ(env[kCommandVariable], "python train.py --lr 0.1 --out /trainyard/outputs/model");
  EXPECT_EQ(env["TRAINYARD_OUTPUTS_DIR"], "/trainyard/outputs");
  EXPECT_EQ(env["EPOCHS"], "3");
}

// Verifies that `$` is escaped so the kubelet's $(NAME) expansion leaves
// values as the user wrote them.
TEST(ManifestsTest, DollarSignsSurviveKubelet) {
  JobManifests manifests = Build(Spec(), PodResources{});
  EXPECT_EQ(EnvOf(manifests)["PRICE"], "$$(HOME) costs $$5");
  EXPECT_THAT(MainContainer(manifests)["command"][2].get<std::string>(),
              HasSubstr("$${JOB_COMPLETION_INDEX:-0}"));
}

TEST(ManifestsTest, PytorchRendezvousUsesRankZeroDnsName) {
  agent::LaunchSpec spec = Spec();
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";
  ManifestOptions options;
  options.namespace_name = "team-a";
  JobManifests manifests = Build(spec, PodResources{}, "", options);
  std::map<std::string, std::string> env = EnvOf(manifests);
  std::string host = manifests.names.job + "-0." + manifests.names.service +
                     ".team-a.svc.cluster.local";
  EXPECT_EQ(env["MASTER_ADDR"], host);
  EXPECT_EQ(env["MASTER_PORT"], "29500");
  EXPECT_EQ(env["WORLD_SIZE"], "4");
  EXPECT_EQ(env["LOCAL_WORLD_SIZE"], "2");
  EXPECT_EQ(env["PET_NNODES"], "2");
  EXPECT_EQ(env["PET_NPROC_PER_NODE"], "2");
  EXPECT_EQ(env["PET_MASTER_ADDR"], host);
}

TEST(ManifestsTest, TensorflowClusterListsEveryTask) {
  agent::LaunchSpec spec = Spec();
  spec.instance_count = 3;
  spec.distribution = "tensorflow";
  spec.parameter_server_count = 1;
  JobManifests manifests = Build(spec, PodResources{});
  json cluster = json::parse(EnvOf(manifests)["TRAINYARD_TF_CLUSTER"]);
  ASSERT_EQ(cluster["worker"].size(), 2u);
  ASSERT_EQ(cluster["ps"].size(), 1u);
  EXPECT_THAT(cluster["ps"][0].get<std::string>(), HasSubstr(manifests.names.job + "-2."));
}

TEST(ManifestsTest, RejectsWhatPodsCannotRun) {
  agent::LaunchSpec local_input = Spec();
  local_input.command = "cat ${{inputs.data}}";
  local_input.inputs["data"] = {.type = "uri_file", .value = "/home/me/data.csv", .mode = "ro_mount"};
  auto built = BuildJobManifests(local_input, {}, "", {});
  EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(built.status().message(), HasSubstr("'/home/me/data.csv'"));

  std::string big(kMaxSnapshotBytes + 1, 'x');
  EXPECT_EQ(BuildJobManifests(Spec(), {}, big, {}).status().code(),
            absl::StatusCode::kInvalidArgument);

  agent::LaunchSpec mpi = Spec();
  mpi.distribution = "mpi";
  mpi.instance_count = 2;
  EXPECT_EQ(BuildJobManifests(mpi, {}, "", {}).status().code(), absl::StatusCode::kUnimplemented);

  agent::LaunchSpec zero = Spec();
  zero.processes_per_instance = 0;
  EXPECT_EQ(BuildJobManifests(zero, {}, "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NamingTest, NamesAreShortStableDnsLabels) {
  JobNames names = NamesForJob("rg/ws/Train_Digits With A Very Long Name That Goes On And On");
  EXPECT_EQ(names.job, NamesForJob("rg/ws/Train_Digits With A Very Long Name That Goes On And On").job);
  EXPECT_LE(names.job.size() + 4, 63u);
  EXPECT_TRUE(names.job.starts_with("ty-train-digits-with-a-very-long"));
  EXPECT_EQ(names.job.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"),
            std::string::npos);
  EXPECT_NE(NamesForJob("rg/ws/a").job, NamesForJob("rg/ws2/a").job);
  EXPECT_EQ(names.code, names.job + "-code");
}

TEST(NamingTest, LabelValuesAreValid) {
  EXPECT_EQ(LabelValue("rg/cluster-1"), "rg-cluster-1");
  EXPECT_EQ(LabelValue("--x--"), "x");
  EXPECT_EQ(LabelValue("///"), "x");
  EXPECT_EQ(LabelValue(std::string(100, 'a')).size(), 63u);
}

}  // namespace
}  // namespace ty::executors::kubernetes
