#include "executors/kubernetes/manifests.h"

#include <cmath>

#include <fmt/format.h>

#include "api/job_spec.h"
#include "api/quantity.h"
#include "common/status_macros.h"
#include "executors/kubernetes/launcher.h"
#include "executors/kubernetes/output_upload.h"
#include "kube/base64.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

json ResourceListJson(const api::ResourceList& list) {
  json out = json::object();
  if (list.cpu_millis) out["cpu"] = api::FormatCpuMillis(*list.cpu_millis);
  if (list.memory_bytes) out["memory"] = api::FormatMemoryBytes(*list.memory_bytes);
  if (list.gpus) out[std::string(api::kGpuResource)] = std::to_string(*list.gpus);
  return out;
}

json Labels(const JobNames& names, const ManifestOptions& options) {
  return {{kManagedByLabel, kManagedByValue},
          {kOwnerLabel, LabelValue(options.owner)},
          {kJobLabel, names.job}};
}

json Metadata(const std::string& name, const JobNames& names, const agent::LaunchSpec& spec,
              const ManifestOptions& options) {
  return {{"name", name},
          {"namespace", options.namespace_name},
          {"labels", Labels(names, options)},
          {"annotations", {{kJobIdAnnotation, spec.job_id}}}};
}

// Resolves `${{inputs.X}}` and `${{outputs.X}}` for a pod: literals as they
// are, data inputs as their URI, outputs as folders under kOutputsDir.
absl::StatusOr<std::string> PodCommand(const agent::LaunchSpec& spec) {
  std::map<std::string, std::string> inputs;
  for (const auto& [name, binding] : spec.inputs) {
    bool local_path = binding.type != "literal" && binding.value.starts_with("/");
    if (local_path) {
      return absl::InvalidArgumentError(fmt::format(
          "input '{}' is the path '{}' on the agent's host, which pods cannot read; give the "
          "input as a URL (https://...) that the job downloads",
          name, binding.value));
    }
    inputs[name] = binding.value;
  }
  std::map<std::string, std::string> outputs;
  for (const std::string& name : spec.outputs) {
    outputs[name] = fmt::format("{}/{}", kOutputsDir, name);
  }
  return api::SubstituteCommand(spec.command, inputs, outputs);
}

json NodeSelector(const PodResources& resources, const ManifestOptions& options) {
  json selector = json::object();
  selector["kubernetes.io/os"] = "linux";
  for (const auto& [key, value] : options.node_selector) selector[key] = value;
  for (const auto& [key, value] : resources.node_selector) selector[key] = value;
  return selector;
}

json Tolerations(const PodResources& resources, const ManifestOptions& options) {
  json tolerations = options.tolerations.is_array() ? options.tolerations : json::array();
  for (json& toleration : api::TolerationsToJson(resources.tolerations)) {
    tolerations.push_back(std::move(toleration));
  }
  // GPU nodes are commonly tainted nvidia.com/gpu:NoSchedule so that only
  // pods that ask for GPUs land there.
  bool wants_gpus = resources.limits.gpus.value_or(0) > 0 ||
                    resources.requests.gpus.value_or(0) > 0;
  if (wants_gpus) {
    tolerations.push_back({{"key", std::string(api::kGpuResource)},
                           {"operator", "Exists"},
                           {"effect", "NoSchedule"}});
  }
  return tolerations;
}

json Environment(const agent::LaunchSpec& spec, const std::string& command,
                 const Rendezvous& rendezvous) {
  std::vector<std::pair<std::string, std::string>> pairs(spec.environment.begin(),
                                                         spec.environment.end());
  pairs.emplace_back("TRAINYARD_JOB_ID", spec.job_id);
  pairs.emplace_back("TRAINYARD_OUTPUTS_DIR", kOutputsDir);
  for (auto& pair : DistributionEnvironment(spec, rendezvous)) pairs.push_back(std::move(pair));
  pairs.emplace_back(kCommandVariable, command);

  json env = json::array();
  for (const auto& [name, value] : pairs) {
    env.push_back({{"name", name}, {"value", EscapeForKubelet(value)}});
  }
  return env;
}

json PodSpec(const agent::LaunchSpec& spec, const PodResources& resources,
             const JobNames& names, bool has_code, const std::string& command,
             const ManifestOptions& options) {
  Rendezvous rendezvous{.job_name = names.job,
                        .service = names.service,
                        .namespace_name = options.namespace_name,
                        .cluster_domain = options.cluster_domain,
                        .master_port = options.master_port};
  std::string script;
  for (const std::string& output : spec.outputs) {
    script += fmt::format("mkdir -p '{}/{}'\n", kOutputsDir, output);
  }
  script += WithOutputUpload(spec, LauncherScript(spec));

  json resources_json = json::object();
  json requests = ResourceListJson(resources.requests);
  json limits = ResourceListJson(resources.limits);
  if (!requests.empty()) resources_json["requests"] = requests;
  if (!limits.empty()) resources_json["limits"] = limits;

  json mounts = json::array({{{"name", "code"}, {"mountPath", kCodeDir}},
                             {{"name", "outputs"}, {"mountPath", kOutputsDir}}});
  json volumes = json::array({{{"name", "code"}, {"emptyDir", json::object()}},
                              {{"name", "outputs"}, {"emptyDir", json::object()}}});
  if (spec.processes_per_instance > 1) {
    mounts.push_back({{"name", "run"}, {"mountPath", kRunFolder}});
    volumes.push_back({{"name", "run"}, {"emptyDir", json::object()}});
  }

  std::string image = spec.environment_name.empty() ? options.default_image
                                                     : spec.environment_name;
  json main = {{"name", kMainContainer},
               {"image", image},
               {"imagePullPolicy", "IfNotPresent"},
               {"command", {"/bin/sh", "-c", EscapeForKubelet(script)}},
               {"workingDir", kCodeDir},
               {"env", Environment(spec, command, rendezvous)},
               {"resources", resources_json},
               {"volumeMounts", mounts}};
  json pod = {{"restartPolicy", "Never"},
              {"subdomain", names.service},
              {"terminationGracePeriodSeconds", options.grace_period.count()},
              {"nodeSelector", NodeSelector(resources, options)},
              {"tolerations", Tolerations(resources, options)},
              {"containers", json::array({main})},
              {"volumes", volumes}};
  if (!options.service_account.empty()) pod["serviceAccountName"] = options.service_account;
  if (has_code) {
    pod["volumes"].push_back(
        {{"name", "code-snapshot"},
         {"configMap",
          {{"name", names.code}, {"items", {{{"key", kSnapshotKey}, {"path", kSnapshotKey}}}}}}});
    pod["initContainers"] = json::array(
        {{{"name", "fetch-code"},
          {"image", options.init_image},
          {"imagePullPolicy", "IfNotPresent"},
          {"command",
           {"/bin/sh", "-c",
            fmt::format("tar -xf {}/{} -C {}", kSnapshotDir, kSnapshotKey, kCodeDir)}},
          {"volumeMounts",
           {{{"name", "code-snapshot"}, {"mountPath", kSnapshotDir}, {"readOnly", true}},
            {{"name", "code"}, {"mountPath", kCodeDir}}}}}});
  }
  return pod;
}

}  // namespace

PodResources PodResourcesFromLaunch(const agent::ResourceRequest& request) {
  PodResources resources;
  if (request.cpus > 0) resources.requests.cpu_millis = std::llround(request.cpus * 1000);
  if (request.memory_bytes > 0) resources.requests.memory_bytes = request.memory_bytes;
  if (request.cpu_limit > 0) resources.limits.cpu_millis = std::llround(request.cpu_limit * 1000);
  if (request.memory_limit_bytes > 0) resources.limits.memory_bytes = request.memory_limit_bytes;
  if (request.gpus > 0) resources.limits.gpus = request.gpus;
  resources.node_selector = request.node_selector;
  resources.tolerations = request.tolerations;
  return resources;
}

absl::StatusOr<JobManifests> BuildJobManifests(const agent::LaunchSpec& spec,
                                               const PodResources& resources,
                                               const std::string& code_archive,
                                               const ManifestOptions& options) {
  RETURN_IF_ERROR(ValidateDistribution(spec));
  if (code_archive.size() > kMaxSnapshotBytes) {
    // TODO: larger snapshots need a fetch from the workspace's blob store.
    return absl::InvalidArgumentError(fmt::format(
        "the code snapshot is {} bytes, over the {} bytes that a Kubernetes ConfigMap can carry; "
        "leave data and outputs out of the job's code folder",
        code_archive.size(), kMaxSnapshotBytes));
  }
  ASSIGN_OR_RETURN(std::string command, PodCommand(spec));

  JobManifests manifests;
  manifests.names = NamesForJob(spec.job_id);
  const JobNames& names = manifests.names;
  bool has_code = !code_archive.empty();

  json template_metadata = {{"labels", Labels(names, options)},
                            {"annotations", {{kJobIdAnnotation, spec.job_id}}}};
  json job_spec = {{"completionMode", "Indexed"},
                   {"completions", spec.instance_count},
                   {"parallelism", spec.instance_count},
                   {"backoffLimit", 0},
                   {"suspend", true},
                   {"template",
                    {{"metadata", template_metadata},
                     {"spec", PodSpec(spec, resources, names, has_code, command, options)}}}};
  if (spec.timeout.count() > 0) job_spec["activeDeadlineSeconds"] = spec.timeout.count();
  if (options.finished_ttl.count() > 0) {
    job_spec["ttlSecondsAfterFinished"] = options.finished_ttl.count();
  }
  json layout = {{"instances", spec.instance_count},
                 {"processesPerInstance", spec.processes_per_instance},
                 {"outputs", spec.outputs}};
  json metadata = Metadata(names.job, names, spec, options);
  metadata["annotations"][kLayoutAnnotation] = layout.dump();
  manifests.job = {{"apiVersion", "batch/v1"},
                   {"kind", "Job"},
                   {"metadata", metadata},
                   {"spec", job_spec}};

  manifests.service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", Metadata(names.service, names, spec, options)},
      {"spec",
       {{"clusterIP", "None"},
        {"selector", {{kJobLabel, names.job}}},
        {"publishNotReadyAddresses", true},
        {"ports",
         {{{"name", "rendezvous"},
           {"port", options.master_port},
           {"targetPort", options.master_port},
           {"protocol", "TCP"}}}}}}};

  if (has_code) {
    manifests.code = json{{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", Metadata(names.code, names, spec, options)},
                          {"binaryData", {{kSnapshotKey, kube::Base64Encode(code_archive)}}}};
  }
  return manifests;
}

json OwnedByJob(json object, const json& created_job) {
  const json& metadata = created_job["metadata"];
  object["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "batch/v1"},
                                                        {"kind", "Job"},
                                                        {"name", metadata.value("name", "")},
                                                        {"uid", metadata.value("uid", "")},
                                                        {"controller", false},
                                                        {"blockOwnerDeletion", true}}});
  return object;
}

}  // namespace ty::executors::kubernetes
