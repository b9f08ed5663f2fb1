#include "server/launch_builder.h"

#include "absl/strings/str_cat.h"
#include "api/distribution_env.h"
#include "api/instance_type.h"
#include "api/job_spec.h"
#include "common/status_macros.h"
#include "store/computes.h"
#include "store/resources.h"

namespace ty::server {
namespace {

using nlohmann::json;

json InputsJson(const api::JobSpec& spec) {
  json inputs = json::object();
  for (const auto& [name, input] : spec.inputs) {
    if (input.literal) {
      inputs[name] = {{"type", "literal"}, {"value", *input.literal}, {"mode", ""}};
    } else {
      inputs[name] = {{"type", std::string(api::DataTypeName(input.type))},
                      {"value", input.path},
                      {"mode", std::string(api::InputModeName(input.mode))}};
    }
  }
  return inputs;
}

}  // namespace

absl::StatusOr<LaunchPlan> BuildLaunchPlan(store::Transaction& transaction,
                                           const store::JobRecord& job,
                                           const std::string& public_url) {
  absl::StatusOr<api::JobSpec> spec = api::ParseJobSpec(job.spec.dump());
  if (!spec.ok()) {
    return absl::InternalError(
        absl::StrCat("stored spec of job '", job.name, "' no longer parses: ", spec.status().message()));
  }

  std::string compute_id = store::ChildId(job.workspace_id, store::kComputes, job.compute);
  std::string type_name = spec->instance_type.empty()
                              ? std::string(api::kDefaultInstanceTypeName)
                              : spec->instance_type;
  ASSIGN_OR_RETURN(store::Resource compute, store::GetResource(transaction, compute_id));
  ASSIGN_OR_RETURN(store::Resource type_resource,
                   store::GetResource(transaction, store::ChildId(compute_id, store::kInstanceTypes,
                                                                  type_name)));
  ASSIGN_OR_RETURN(api::InstanceType instance_type, store::InstanceTypeOf(type_resource));
  api::ResourceList requests = api::EffectiveRequests(instance_type);

  LaunchPlan plan;
  plan.request.instances = spec->instance_count;
  plan.request.cpus = static_cast<double>(requests.cpu_millis.value_or(0)) / 1000.0;
  plan.request.memory_bytes = requests.memory_bytes.value_or(0);
  plan.request.gpus = requests.gpus.value_or(0);

  json environment = json::object();
  for (const auto& [name, value] : spec->environment_variables) environment[name] = value;
  environment["TRAINYARD_TRACKING_URI"] = public_url;
  environment["MLFLOW_TRACKING_URI"] = public_url;
  environment["TRAINYARD_JOB_ID"] = job.id;
  environment["TRAINYARD_JOB_NAME"] = job.name;

  std::vector<std::string> outputs;
  for (const auto& [name, output] : spec->outputs) outputs.push_back(name);

  ASSIGN_OR_RETURN(api::ProcessLayout layout, api::LayoutOfJob(*spec));
  plan.launch = {
      {"jobId", job.id},
      {"command", spec->command},
      {"inputs", InputsJson(*spec)},
      {"outputs", outputs},
      {"environment", environment},
      {"codeSnapshot", job.code_snapshot},
      {"environmentName", spec->environment},
      {"namespace", compute.properties.value("namespace", "")},
      {"instanceCount", spec->instance_count},
      {"processesPerInstance", layout.processes_per_instance},
      {"distribution", std::string(api::DistributionTypeName(spec->distribution.type))},
      {"parameterServerCount", spec->distribution.parameter_server_count},
      {"resources",
       {{"cpus", plan.request.cpus},
        {"memoryBytes", plan.request.memory_bytes},
        {"gpus", plan.request.gpus},
        {"nodeSelector", instance_type.node_selector},
        {"cpuLimit", static_cast<double>(instance_type.limits.cpu_millis.value_or(0)) / 1000.0},
        {"memoryLimitBytes", instance_type.limits.memory_bytes.value_or(0)},
        {"tolerations", api::TolerationsToJson(instance_type.tolerations)}}},
      {"timeoutSeconds", spec->timeout_seconds.value_or(0)},
  };
  return plan;
}

}  // namespace ty::server
