// Writes every kind of Kubernetes object that the executor and the
// extension installer create, one JSON file each, into the folder given as
// the only argument. tests/kube_manifests checks them against the official
// Kubernetes API models.

#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "executors/kubernetes/installer_manifests.h"
#include "executors/kubernetes/manifests.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

constexpr int64_t kGi = int64_t{1} << 30;

agent::LaunchSpec Spec(const std::string& name, const std::string& distribution, int instances,
                       int processes) {
  agent::LaunchSpec spec;
  spec.job_id = "rg/ws/" + name;
  spec.command = "python train.py --out ${{outputs.model}}";
  spec.outputs = {"model"};
  spec.environment = {{"EPOCHS", "3"}};
  spec.environment_name = "python:3.11";
  spec.distribution = distribution;
  spec.instance_count = instances;
  spec.processes_per_instance = processes;
  spec.timeout = std::chrono::seconds(3600);
  if (distribution == "tensorflow") spec.parameter_server_count = 1;
  return spec;
}

int Dump(const std::string& folder) {
  std::filesystem::create_directories(folder);
  int written = 0;
  auto write = [&](const std::string& name, const json& object) {
    std::ofstream(folder + "/" + name + ".json") << object.dump(2);
    ++written;
  };

  PodResources gpu_small;
  gpu_small.requests = {.cpu_millis = 4000, .memory_bytes = 16 * kGi};
  gpu_small.limits = {.cpu_millis = 4000, .memory_bytes = 16 * kGi, .gpus = 1};
  gpu_small.node_selector = {{"accelerator", "a100"}};
  gpu_small.tolerations = {{.key = "spot", .operator_name = "Exists", .effect = "NoExecute",
                            .toleration_seconds = 60}};
  ManifestOptions options;
  options.service_account = kTrainingAccount;
  options.tolerations = json::array({{{"key", "dedicated"}, {"operator", "Equal"},
                                      {"value", "training"}, {"effect", "NoSchedule"}}});

  struct Case {
    std::string name;
    agent::LaunchSpec spec;
    PodResources resources;
    std::string code;
  };
  std::vector<Case> cases = {
      {"single", Spec("single", "", 1, 1), PodResources{}, "tar bytes"},
      {"pytorch", Spec("pytorch", "pytorch", 2, 2), gpu_small, ""},
      {"tensorflow", Spec("tensorflow", "tensorflow", 3, 1), gpu_small, "tar bytes"},
      {"mpi", Spec("mpi", "mpi", 1, 4), PodResources{}, ""}};
  for (const Case& item : cases) {
    absl::StatusOr<JobManifests> manifests =
        BuildJobManifests(item.spec, item.resources, item.code, options);
    if (!manifests.ok()) {
      std::cerr << item.name << ": " << manifests.status() << "\n";
      return 1;
    }
    json created_job = manifests->job;
    created_job["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
    write("job-" + item.name, manifests->job);
    write("service-" + item.name, OwnedByJob(manifests->service, created_job));
    if (manifests->code) write("configmap-" + item.name, OwnedByJob(*manifests->code, created_job));
  }

  InstallerImages images;
  write("namespace", NamespaceObject("trainyard", "ext"));
  write("serviceaccount", TrainingServiceAccount("trainyard", "ext"));
  write("role", TrainingRole("trainyard", "ext"));
  write("rolebinding", TrainingRoleBinding("trainyard", "ext"));
  write("daemonset-device-plugin", DevicePluginDaemonSet("trainyard", "ext", images));
  write("daemonset-flexvol",
        FlexvolDaemonSet("trainyard", "ext", "/etc/kubernetes/volumeplugins", images));
  write("daemonset-sysctl", SysctlDaemonSet("trainyard", "ext", images));
  std::cout << "wrote " << written << " manifests to " << folder << "\n";
  return 0;
}

}  // namespace
}  // namespace ty::executors::kubernetes

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: kubernetes_manifest_dump FOLDER\n";
    return 2;
  }
  return ty::executors::kubernetes::Dump(argv[1]);
}
