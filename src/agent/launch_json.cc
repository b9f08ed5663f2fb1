#include "agent/launch_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace ty::agent {
namespace {

using nlohmann::json;

absl::Status TypeError(absl::string_view field, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("assign: field 'job.", field, "' must be ", expected));
}

// Reads an optional member of `object` into `out` when present and of the
// expected type; wrong types are errors, absent members keep the default.
template <typename T>
absl::Status Read(const json& object, const char* field, T* out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return TypeError(field, "a string");
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return TypeError(field, "a boolean");
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) return TypeError(field, "an integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number()) return TypeError(field, "a number");
  }
  *out = it->get<T>();
  return absl::OkStatus();
}

absl::Status ReadStringMap(const json& object, const char* field,
                           std::map<std::string, std::string>* out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return TypeError(field, "an object of strings");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return TypeError(absl::StrCat(field, ".", key), "a string");
    (*out)[key] = value.get<std::string>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LaunchSpec> LaunchSpecFromJson(const json& job) {
  if (!job.is_object()) return TypeError("", "an object");
  LaunchSpec spec;
  absl::Status status;
  if (!(status = Read(job, "jobId", &spec.job_id)).ok()) return status;
  if (spec.job_id.empty()) return absl::InvalidArgumentError("assign: missing 'job.jobId'");
  if (!(status = Read(job, "command", &spec.command)).ok()) return status;
  if (spec.command.empty()) return absl::InvalidArgumentError("assign: missing 'job.command'");
  if (!(status = ReadStringMap(job, "environment", &spec.environment)).ok()) return status;
  if (!(status = Read(job, "environmentName", &spec.environment_name)).ok()) return status;
  if (!(status = Read(job, "namespace", &spec.namespace_name)).ok()) return status;
  if (!(status = Read(job, "instanceCount", &spec.instance_count)).ok()) return status;
  if (!(status = Read(job, "processesPerInstance", &spec.processes_per_instance)).ok()) {
    return status;
  }
  if (spec.instance_count < 1 || spec.processes_per_instance < 1) {
    return absl::InvalidArgumentError(
        "assign: 'job.instanceCount' and 'job.processesPerInstance' must be at least 1");
  }
  if (!(status = Read(job, "distribution", &spec.distribution)).ok()) return status;
  if (!(status = Read(job, "parameterServerCount", &spec.parameter_server_count)).ok()) {
    return status;
  }
  int64_t timeout_seconds = 0;
  if (!(status = Read(job, "timeoutSeconds", &timeout_seconds)).ok()) return status;
  spec.timeout = std::chrono::seconds(timeout_seconds);

  if (auto it = job.find("inputs"); it != job.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("inputs", "an object");
    for (const auto& [name, input] : it->items()) {
      if (!input.is_object()) return TypeError(absl::StrCat("inputs.", name), "an object");
      InputBinding binding;
      if (!(status = Read(input, "type", &binding.type)).ok()) return status;
      if (!(status = Read(input, "value", &binding.value)).ok()) return status;
      if (!(status = Read(input, "mode", &binding.mode)).ok()) return status;
      spec.inputs[name] = binding;
    }
  }
  if (auto it = job.find("outputs"); it != job.end() && !it->is_null()) {
    if (!it->is_array()) return TypeError("outputs", "an array of names");
    for (const json& name : *it) {
      if (!name.is_string()) return TypeError("outputs[]", "a string");
      spec.outputs.push_back(name.get<std::string>());
    }
  }
  if (auto it = job.find("resources"); it != job.end() && !it->is_null()) {
    if (!it->is_object()) return TypeError("resources", "an object");
    if (!(status = Read(*it, "cpus", &spec.resources.cpus)).ok()) return status;
    if (!(status = Read(*it, "memoryBytes", &spec.resources.memory_bytes)).ok()) return status;
    if (!(status = Read(*it, "gpus", &spec.resources.gpus)).ok()) return status;
    if (!(status = Read(*it, "cpuLimit", &spec.resources.cpu_limit)).ok()) return status;
    if (!(status = Read(*it, "memoryLimitBytes", &spec.resources.memory_limit_bytes)).ok()) {
      return status;
    }
    if (auto tolerations = it->find("tolerations"); tolerations != it->end()) {
      absl::StatusOr<std::vector<api::Toleration>> read =
          api::TolerationsFromJson("job.resources.tolerations", *tolerations);
      if (!read.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("assign: ", read.status().message()));
      }
      spec.resources.tolerations = std::move(*read);
    }
    if (!(status = ReadStringMap(*it, "nodeSelector", &spec.resources.node_selector)).ok()) {
      return status;
    }
  }
  return spec;
}

json LaunchSpecToJson(const LaunchSpec& spec, const std::string& code_snapshot) {
  json inputs = json::object();
  for (const auto& [name, binding] : spec.inputs) {
    inputs[name] = {{"type", binding.type}, {"value", binding.value}, {"mode", binding.mode}};
  }
  return {
      {"jobId", spec.job_id},
      {"command", spec.command},
      {"inputs", inputs},
      {"outputs", spec.outputs},
      {"environment", spec.environment},
      {"codeSnapshot", code_snapshot},
      {"environmentName", spec.environment_name},
      {"namespace", spec.namespace_name},
      {"instanceCount", spec.instance_count},
      {"processesPerInstance", spec.processes_per_instance},
      {"distribution", spec.distribution},
      {"parameterServerCount", spec.parameter_server_count},
      {"resources",
       {{"cpus", spec.resources.cpus},
        {"memoryBytes", spec.resources.memory_bytes},
        {"gpus", spec.resources.gpus},
        {"nodeSelector", spec.resources.node_selector},
        {"cpuLimit", spec.resources.cpu_limit},
        {"memoryLimitBytes", spec.resources.memory_limit_bytes},
        {"tolerations", api::TolerationsToJson(spec.resources.tolerations)}}},
      {"timeoutSeconds", spec.timeout.count()},
  };
}

}  // namespace ty::agent
