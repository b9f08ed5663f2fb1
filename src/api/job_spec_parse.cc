// ParseJobSpec: reads the command job YAML into a JobSpec, field by field.

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "api/command_template.h"
#include "api/distribution_env.h"
#include "api/job_spec.h"
#include "api/names.h"
#include "api/yaml_fields.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

constexpr std::string_view kComputePrefix = "azureml:";

// Reads a scalar and returns the choice whose name (from `name_of`) matches
// it. Errors name the field, the value and every supported name.
template <typename Enum, size_t N>
absl::StatusOr<Enum> ReadChoice(const YAML::Node& node, std::string_view field,
                                std::string_view what, const Enum (&choices)[N],
                                std::string_view (*name_of)(Enum)) {
  ASSIGN_OR_RETURN(std::string text, ReadScalar(node, field, /*allow_empty=*/false));
  std::vector<std::string_view> names;
  for (Enum choice : choices) {
    if (name_of(choice) == text) return choice;
    names.push_back(name_of(choice));
  }
  return InvalidField(field, fmt::format("unsupported {} '{}': use one of {}", what, text,
                                         fmt::join(names, ", ")));
}

// Input and output names appear in `${{inputs.NAME}}`, so they are
// identifiers: a letter or '_', then letters, digits or '_'.
absl::Status ValidateIdentifier(std::string_view field, std::string_view what,
                                std::string_view name) {
  bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
               });
  if (valid) return absl::OkStatus();
  return InvalidField(field, fmt::format("invalid {} name '{}': use letters, digits and '_', "
                                         "starting with a letter or '_'",
                                         what, name));
}

// Kubernetes accepts environment variable names of letters, digits, '_',
// '-' and '.', not starting with a digit.
absl::Status ValidateEnvironmentVariableName(std::string_view field, std::string_view name) {
  bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                        c == '.';
               });
  if (valid) return absl::OkStatus();
  return InvalidField(field, fmt::format("invalid environment variable name '{}': use letters, "
                                         "digits, '_', '-' and '.', not starting with a digit",
                                         name));
}

absl::StatusOr<std::string> ReadEnvironment(const YAML::Node& node) {
  if (!node.IsMap()) return ReadScalar(node, "environment", /*allow_empty=*/true);

  // An inline environment. Only its image matters to the executors.
  RETURN_IF_ERROR(CheckMapping(node, "environment",
                               {"image", "name", "version", "description", "conda_file"}));
  if (node["conda_file"]) {
    return InvalidField("environment.conda_file",
                        "conda environments are not built here: use an image that already "
                        "contains the packages, as in 'environment: {image: python:3.11}'");
  }
  if (!node["image"]) {
    return InvalidField("environment.image", "missing image: give a container image such as "
                                             "'python:3.11'");
  }
  return ReadScalar(node["image"], "environment.image", /*allow_empty=*/false);
}

absl::StatusOr<std::string> ReadCompute(const YAML::Node& node) {
  ASSIGN_OR_RETURN(std::string compute, ReadScalar(node, "compute", /*allow_empty=*/true));
  if (std::string_view(compute).starts_with(kComputePrefix)) {
    compute.erase(0, kComputePrefix.size());
  }
  if (!compute.empty()) RETURN_IF_ERROR(ValidateName("compute", "compute", compute));
  return compute;
}

absl::Status ReadResources(const YAML::Node& node, JobSpec& spec) {
  if (node.IsNull()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckMapping(node, "resources", {"instance_count", "instance_type"}));
  if (node["instance_count"]) {
    ASSIGN_OR_RETURN(spec.instance_count,
                     ReadInteger(node["instance_count"], "resources.instance_count", 1,
                                 kMaxInstanceCount));
  }
  if (node["instance_type"]) {
    ASSIGN_OR_RETURN(spec.instance_type, ReadScalar(node["instance_type"],
                                                    "resources.instance_type", true));
    if (!spec.instance_type.empty()) {
      RETURN_IF_ERROR(
          ValidateName("instance type", "resources.instance_type", spec.instance_type));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Distribution> ReadDistribution(const YAML::Node& node) {
  Distribution distribution;
  if (node.IsNull()) return distribution;
  RETURN_IF_ERROR(CheckMapping(node, "distribution",
                               {"type", "process_count_per_instance", "worker_count",
                                "parameter_server_count"}));
  if (!node["type"]) {
    return InvalidField("distribution.type",
                        "missing distribution type: use one of pytorch, mpi, tensorflow");
  }
  constexpr DistributionType kTypes[] = {DistributionType::kPyTorch, DistributionType::kMpi,
                                         DistributionType::kTensorFlow};
  ASSIGN_OR_RETURN(distribution.type, ReadChoice(node["type"], "distribution.type",
                                                 "distribution type", kTypes,
                                                 DistributionTypeName));

  // Each framework has its own counts, as in the cloud CLI's schema.
  bool tensorflow = distribution.type == DistributionType::kTensorFlow;
  std::string_view type_name = DistributionTypeName(distribution.type);
  for (std::string_view key : {"worker_count", "parameter_server_count"}) {
    if (!tensorflow && node[std::string(key)]) {
      return InvalidField(JoinFieldPath("distribution", key),
                          fmt::format("'{}' applies to tensorflow only: use "
                                      "process_count_per_instance for {}",
                                      key, type_name));
    }
  }
  if (tensorflow && node["process_count_per_instance"]) {
    return InvalidField("distribution.process_count_per_instance",
                        "'process_count_per_instance' does not apply to tensorflow: use "
                        "worker_count and parameter_server_count");
  }

  if (node["process_count_per_instance"]) {
    ASSIGN_OR_RETURN(distribution.process_count_per_instance,
                     ReadInteger(node["process_count_per_instance"],
                                 "distribution.process_count_per_instance", 1,
                                 kMaxProcessesPerInstance));
  }
  if (node["worker_count"]) {
    ASSIGN_OR_RETURN(distribution.worker_count,
                     ReadInteger(node["worker_count"], "distribution.worker_count", 1,
                                 kMaxWorldSize));
  }
  if (node["parameter_server_count"]) {
    ASSIGN_OR_RETURN(distribution.parameter_server_count,
                     ReadInteger(node["parameter_server_count"],
                                 "distribution.parameter_server_count", 0, kMaxWorldSize));
  }
  return distribution;
}

absl::StatusOr<JobInput> ReadInput(const YAML::Node& node, const std::string& field) {
  JobInput input;
  if (node.IsScalar()) {
    input.literal = node.Scalar();
    return input;
  }
  if (!node.IsMap()) {
    return InvalidField(field, fmt::format("expected a literal value or a mapping with 'type' "
                                           "and 'path', got {}",
                                           DescribeNode(node)));
  }
  RETURN_IF_ERROR(CheckMapping(node, field, {"type", "path", "mode"}));
  if (node["type"]) {
    constexpr DataType kTypes[] = {DataType::kUriFile, DataType::kUriFolder};
    ASSIGN_OR_RETURN(input.type, ReadChoice(node["type"], JoinFieldPath(field, "type"),
                                            "input type", kTypes, DataTypeName));
  }
  if (!node["path"]) {
    return InvalidField(JoinFieldPath(field, "path"),
                        "missing path: give a local path or URI of the data, such as './data'");
  }
  ASSIGN_OR_RETURN(input.path, ReadScalar(node["path"], JoinFieldPath(field, "path"), false));
  if (node["mode"]) {
    constexpr InputMode kModes[] = {InputMode::kRoMount, InputMode::kDownload,
                                    InputMode::kDirect};
    ASSIGN_OR_RETURN(input.mode, ReadChoice(node["mode"], JoinFieldPath(field, "mode"),
                                            "input mode", kModes, InputModeName));
  }
  return input;
}

absl::StatusOr<JobOutput> ReadOutput(const YAML::Node& node, const std::string& field) {
  JobOutput output;
  if (node.IsNull()) return output;
  RETURN_IF_ERROR(CheckMapping(node, field, {"type", "path", "mode"}));
  if (node["type"]) {
    constexpr DataType kTypes[] = {DataType::kUriFolder, DataType::kUriFile};
    ASSIGN_OR_RETURN(output.type, ReadChoice(node["type"], JoinFieldPath(field, "type"),
                                             "output type", kTypes, DataTypeName));
  }
  if (node["path"]) {
    ASSIGN_OR_RETURN(output.path, ReadScalar(node["path"], JoinFieldPath(field, "path"), true));
  }
  if (node["mode"]) {
    constexpr OutputMode kModes[] = {OutputMode::kRwMount, OutputMode::kUpload};
    ASSIGN_OR_RETURN(output.mode, ReadChoice(node["mode"], JoinFieldPath(field, "mode"),
                                             "output mode", kModes, OutputModeName));
  }
  return output;
}

// Reads `inputs` or `outputs`: a mapping of identifiers to entries.
template <typename Entry, typename ReadEntry>
absl::Status ReadNamedEntries(const YAML::Node& node, std::string_view field,
                              std::string_view what, ReadEntry read_entry,
                              std::map<std::string, Entry>& entries) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) {
    return InvalidField(field, fmt::format("expected a mapping of {} names, got {}", what,
                                           DescribeNode(node)));
  }
  for (const auto& item : node) {
    ASSIGN_OR_RETURN(std::string name, ReadScalar(item.first, field, /*allow_empty=*/false));
    std::string entry_field = JoinFieldPath(field, name);
    RETURN_IF_ERROR(ValidateIdentifier(entry_field, what, name));
    if (entries.contains(name)) {
      return InvalidField(entry_field, fmt::format("duplicate {} '{}': give it once", what, name));
    }
    ASSIGN_OR_RETURN(entries[name], read_entry(item.second, entry_field));
  }
  return absl::OkStatus();
}

std::string DeclaredNames(const auto& entries) {
  if (entries.empty()) return "none are declared";
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries) names.push_back(name);
  return fmt::format("declared: {}", fmt::join(names, ", "));
}

absl::Status CheckCommandReferences(const JobSpec& spec) {
  ASSIGN_OR_RETURN(std::vector<CommandReference> references,
                   FindCommandReferences(spec.command));
  for (const CommandReference& reference : references) {
    std::string_view text =
        std::string_view(spec.command).substr(reference.begin, reference.end - reference.begin);
    if (reference.kind == ReferenceKind::kInput && !spec.inputs.contains(reference.name)) {
      return InvalidField("command", fmt::format("'{}' names no input: add '{}' under inputs "
                                                 "({})",
                                                 text, reference.name, DeclaredNames(spec.inputs)));
    }
    if (reference.kind == ReferenceKind::kOutput && !spec.outputs.contains(reference.name)) {
      return InvalidField("command", fmt::format("'{}' names no output: add '{}' under outputs "
                                                 "({})",
                                                 text, reference.name,
                                                 DeclaredNames(spec.outputs)));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadTopLevel(const YAML::Node& root, JobSpec& spec) {
  if (const YAML::Node type = root["type"]) {
    ASSIGN_OR_RETURN(std::string text, ReadScalar(type, "type", /*allow_empty=*/false));
    if (text != "command") {
      return InvalidField("type", fmt::format("unsupported job type '{}': only 'command' jobs "
                                              "are supported",
                                              text));
    }
  }
  if (root["name"]) {
    ASSIGN_OR_RETURN(spec.name, ReadScalar(root["name"], "name", /*allow_empty=*/true));
    if (!spec.name.empty()) RETURN_IF_ERROR(ValidateName("job", "name", spec.name));
  }
  if (root["code"]) {
    ASSIGN_OR_RETURN(spec.code, ReadScalar(root["code"], "code", true));
  }

  if (!root["command"] || root["command"].IsNull()) {
    return InvalidField("command", "missing command: give the shell command to run, such as "
                                   "'python train.py'");
  }
  ASSIGN_OR_RETURN(spec.command, ReadScalar(root["command"], "command", false));
  if (spec.command.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidField("command", "empty command: give the shell command to run, such as "
                                   "'python train.py'");
  }

  if (root["environment"]) {
    ASSIGN_OR_RETURN(spec.environment, ReadEnvironment(root["environment"]));
  }
  if (root["compute"]) {
    ASSIGN_OR_RETURN(spec.compute, ReadCompute(root["compute"]));
  }
  if (root["experiment_name"]) {
    ASSIGN_OR_RETURN(spec.experiment_name,
                     ReadScalar(root["experiment_name"], "experiment_name", true));
    if (!spec.experiment_name.empty()) {
      RETURN_IF_ERROR(ValidateName("experiment", "experiment_name", spec.experiment_name));
    }
  }
  if (root["display_name"]) {
    ASSIGN_OR_RETURN(spec.display_name, ReadScalar(root["display_name"], "display_name", true));
  }
  if (root["description"]) {
    ASSIGN_OR_RETURN(spec.description, ReadScalar(root["description"], "description", true));
  }
  return absl::OkStatus();
}

absl::Status ReadSections(const YAML::Node& root, JobSpec& spec) {
  if (root["resources"]) RETURN_IF_ERROR(ReadResources(root["resources"], spec));
  if (root["distribution"]) {
    ASSIGN_OR_RETURN(spec.distribution, ReadDistribution(root["distribution"]));
  }
  if (root["inputs"]) {
    RETURN_IF_ERROR(ReadNamedEntries(root["inputs"], "inputs", "input", ReadInput, spec.inputs));
  }
  if (root["outputs"]) {
    RETURN_IF_ERROR(
        ReadNamedEntries(root["outputs"], "outputs", "output", ReadOutput, spec.outputs));
  }
  if (root["environment_variables"]) {
    ASSIGN_OR_RETURN(spec.environment_variables,
                     ReadScalarMap(root["environment_variables"], "environment_variables"));
    for (const auto& [name, value] : spec.environment_variables) {
      RETURN_IF_ERROR(ValidateEnvironmentVariableName(
          JoinFieldPath("environment_variables", name), name));
    }
  }
  if (const YAML::Node limits = root["limits"]; limits && !limits.IsNull()) {
    RETURN_IF_ERROR(CheckMapping(limits, "limits", {"timeout"}));
    if (limits["timeout"]) {
      ASSIGN_OR_RETURN(spec.timeout_seconds,
                       ReadInteger(limits["timeout"], "limits.timeout", 1, kMaxTimeoutSeconds));
    }
  }
  if (root["tags"]) {
    ASSIGN_OR_RETURN(spec.tags, ReadScalarMap(root["tags"], "tags"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JobSpec> ParseJobSpec(std::string_view yaml_or_json_text) {
  ASSIGN_OR_RETURN(YAML::Node root, LoadYamlDocument(yaml_or_json_text));
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid job spec: expected a mapping with 'type: command' and 'command', got {}",
        DescribeNode(root)));
  }
  RETURN_IF_ERROR(CheckMapping(
      root, "",
      {"command", "type", "$schema", "name", "code", "environment", "compute", "resources",
       "distribution", "inputs", "outputs", "environment_variables", "limits", "experiment_name",
       "display_name", "description", "tags"}));

  JobSpec spec;
  RETURN_IF_ERROR(ReadTopLevel(root, spec));
  RETURN_IF_ERROR(ReadSections(root, spec));
  RETURN_IF_ERROR(CheckCommandReferences(spec));
  RETURN_IF_ERROR(LayoutOfJob(spec).status());
  return spec;
}

}  // namespace ty::api
