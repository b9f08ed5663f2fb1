#include "api/job_spec.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "api/yaml_fields.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

constexpr std::string_view kSetField = "set";

nlohmann::json ResourcesToJson(const JobSpec& spec) {
  nlohmann::json resources = {{"instance_count", spec.instance_count}};
  if (!spec.instance_type.empty()) resources["instance_type"] = spec.instance_type;
  return resources;
}

nlohmann::json DistributionToJson(const Distribution& distribution) {
  nlohmann::json json = {{"type", DistributionTypeName(distribution.type)}};
  if (distribution.type == DistributionType::kTensorFlow) {
    if (distribution.worker_count) json["worker_count"] = *distribution.worker_count;
    json["parameter_server_count"] = distribution.parameter_server_count;
  } else {
    json["process_count_per_instance"] = distribution.process_count_per_instance;
  }
  return json;
}

nlohmann::json InputsToJson(const std::map<std::string, JobInput>& inputs) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, input] : inputs) {
    if (input.literal) {
      json[name] = *input.literal;
      continue;
    }
    json[name] = {{"type", DataTypeName(input.type)},
                  {"path", input.path},
                  {"mode", InputModeName(input.mode)}};
  }
  return json;
}

nlohmann::json OutputsToJson(const std::map<std::string, JobOutput>& outputs) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, output] : outputs) {
    json[name] = {{"type", DataTypeName(output.type)}, {"mode", OutputModeName(output.mode)}};
    if (!output.path.empty()) json[name]["path"] = output.path;
  }
  return json;
}

// Splits "a.b.c" into its segments. Errors name the whole override.
absl::StatusOr<std::vector<std::string>> SplitOverridePath(std::string_view override_text,
                                                          std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string_view segment = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (segment.empty()) {
      return InvalidField(kSetField, fmt::format("invalid override '{}': the path has an empty "
                                                 "segment: write it as 'key.sub=value'",
                                                 override_text));
    }
    segments.emplace_back(segment);
    if (dot == std::string_view::npos) return segments;
    start = dot + 1;
  }
}

absl::Status ApplyOverride(YAML::Node& root, const std::string& override_text) {
  size_t equals = override_text.find('=');
  if (equals == std::string::npos) {
    return InvalidField(kSetField, fmt::format("invalid override '{}': no '=': write it as "
                                               "'key.sub=value'",
                                               override_text));
  }
  std::string_view path = std::string_view(override_text).substr(0, equals);
  ASSIGN_OR_RETURN(std::vector<std::string> segments, SplitOverridePath(override_text, path));

  // `reset` rebinds the handle, whereas assigning with '=' would overwrite
  // the node it refers to.
  YAML::Node current;
  current.reset(root);
  std::string walked;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    walked = JoinFieldPath(walked, segments[i]);
    YAML::Node child = current[segments[i]];
    if (!child.IsDefined() || child.IsNull()) {
      child = YAML::Node(YAML::NodeType::Map);
    } else if (!child.IsMap()) {
      return InvalidField(kSetField, fmt::format("invalid override '{}': '{}' is {}, not a "
                                                 "mapping, so it has no '{}'",
                                                 override_text, walked, DescribeNode(child),
                                                 segments[i + 1]));
    }
    current.reset(child);
  }
  current[segments.back()] = override_text.substr(equals + 1);
  return absl::OkStatus();
}

}  // namespace

std::string_view DistributionTypeName(DistributionType type) {
  switch (type) {
    case DistributionType::kNone:
      return "";
    case DistributionType::kPyTorch:
      return "pytorch";
    case DistributionType::kMpi:
      return "mpi";
    case DistributionType::kTensorFlow:
      return "tensorflow";
  }
  return "";
}

std::string_view DataTypeName(DataType type) {
  return type == DataType::kUriFile ? "uri_file" : "uri_folder";
}

std::string_view InputModeName(InputMode mode) {
  switch (mode) {
    case InputMode::kRoMount:
      return "ro_mount";
    case InputMode::kDownload:
      return "download";
    case InputMode::kDirect:
      return "direct";
  }
  return "";
}

std::string_view OutputModeName(OutputMode mode) {
  return mode == OutputMode::kRwMount ? "rw_mount" : "upload";
}

nlohmann::json JobSpecToJson(const JobSpec& spec) {
  nlohmann::json json = {{"type", "command"}, {"command", spec.command}};
  if (!spec.name.empty()) json["name"] = spec.name;
  if (!spec.code.empty()) json["code"] = spec.code;
  if (!spec.environment.empty()) json["environment"] = spec.environment;
  if (!spec.compute.empty()) json["compute"] = spec.compute;
  json["resources"] = ResourcesToJson(spec);
  if (spec.distribution.type != DistributionType::kNone) {
    json["distribution"] = DistributionToJson(spec.distribution);
  }
  json["inputs"] = InputsToJson(spec.inputs);
  json["outputs"] = OutputsToJson(spec.outputs);
  json["environment_variables"] = spec.environment_variables;
  if (spec.timeout_seconds) json["limits"] = {{"timeout", *spec.timeout_seconds}};
  if (!spec.experiment_name.empty()) json["experiment_name"] = spec.experiment_name;
  if (!spec.display_name.empty()) json["display_name"] = spec.display_name;
  if (!spec.description.empty()) json["description"] = spec.description;
  json["tags"] = spec.tags;
  return json;
}

absl::StatusOr<std::string> ApplySetOverrides(std::string_view yaml_text,
                                              const std::vector<std::string>& overrides) {
  ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml_text));
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format("invalid job spec for --set: expected a "
                                                  "mapping, got {}",
                                                  DescribeNode(root)));
  }
  for (const std::string& override_text : overrides) {
    RETURN_IF_ERROR(ApplyOverride(root, override_text));
  }
  try {
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str());
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("failed to write the job spec: {}", error.msg));
  }
}

}  // namespace ty::api
