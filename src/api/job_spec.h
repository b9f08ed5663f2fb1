#pragma once

// The command job spec: the cloud CLI's v2 command job YAML, so existing
// files port over. Example:
//
//   $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
//   type: command
//   code: ./src
//   command: python train.py --data ${{inputs.data}} --out ${{outputs.model}}
//   environment: python:3.11
//   compute: azureml:gpu-cluster
//   resources: {instance_count: 2, instance_type: gpu-small}
//   distribution: {type: pytorch, process_count_per_instance: 4}
//   inputs:
//     data: {type: uri_folder, path: ./data, mode: ro_mount}
//     epochs: 10
//   outputs:
//     model: {type: uri_folder, mode: rw_mount}
//   environment_variables: {NCCL_DEBUG: INFO}
//   limits: {timeout: 3600}
//   experiment_name: mnist
//   display_name: first try
//   tags: {team: vision}
//
// JSON is valid YAML, so ParseJobSpec reads both.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace ty::api {

enum class DistributionType { kNone, kPyTorch, kMpi, kTensorFlow };
enum class DataType { kUriFile, kUriFolder };
enum class InputMode { kRoMount, kDownload, kDirect };
enum class OutputMode { kRwMount, kUpload };

// "pytorch", "mpi", "tensorflow"; "" for kNone.
std::string_view DistributionTypeName(DistributionType type);
// "uri_file", "uri_folder".
std::string_view DataTypeName(DataType type);
// "ro_mount", "download", "direct".
std::string_view InputModeName(InputMode mode);
// "rw_mount", "upload".
std::string_view OutputModeName(OutputMode mode);

// Upper bounds of a job's counts and time limit. They keep one job spec from
// making an executor create millions of processes or folders, and keep every
// count inside an int and every time limit in milliseconds inside an int64.
inline constexpr int64_t kMaxInstanceCount = 4096;
inline constexpr int64_t kMaxProcessesPerInstance = 1024;
inline constexpr int64_t kMaxWorldSize = 65536;  // processes of one job in all
inline constexpr int64_t kMaxTimeoutSeconds = 2147483647;

struct Distribution {
  DistributionType type = DistributionType::kNone;
  // Processes per instance for pytorch and mpi.
  int64_t process_count_per_instance = 1;
  // TensorFlow only: worker and parameter server counts. An unset worker
  // count means one worker per instance. LayoutOfJob in
  // api/distribution_env.h spreads the tasks over the instances.
  std::optional<int64_t> worker_count;
  int64_t parameter_server_count = 0;

  bool operator==(const Distribution&) const = default;
};

// One entry of `inputs`: either a literal scalar (`epochs: 10`) or data.
struct JobInput {
  // Set for a literal; its text as written ("10", "0.01", "true", "abc").
  std::optional<std::string> literal;
  // The fields below describe data and are meaningful when `literal` is unset.
  DataType type = DataType::kUriFolder;
  std::string path;
  InputMode mode = InputMode::kRoMount;

  bool operator==(const JobInput&) const = default;
};

struct JobOutput {
  DataType type = DataType::kUriFolder;
  // Where to store the output; empty means the job's artifacts.
  std::string path;
  OutputMode mode = OutputMode::kRwMount;

  bool operator==(const JobOutput&) const = default;
};

struct JobSpec {
  std::string name;  // optional; the server generates one when empty
  std::string code;  // local folder uploaded as a snapshot; may be empty
  std::string command;
  // A container image on Kubernetes, or the interpreter or environment to
  // run in on the local executor. An `environment: {image: X}` mapping is
  // stored as X.
  std::string environment;
  // The compute name without the "azureml:" prefix; may be empty.
  std::string compute;
  int64_t instance_count = 1;
  // Empty means kDefaultInstanceTypeName.
  std::string instance_type;
  Distribution distribution;
  std::map<std::string, JobInput> inputs;
  std::map<std::string, JobOutput> outputs;
  std::map<std::string, std::string> environment_variables;
  // limits.timeout in seconds; unset means no limit.
  std::optional<int64_t> timeout_seconds;
  std::string experiment_name;
  std::string display_name;
  std::string description;
  std::map<std::string, std::string> tags;

  bool operator==(const JobSpec&) const = default;
};

// Parses and validates a job spec written as YAML or JSON. Errors are
// kInvalidArgument with the field path at fault (e.g.
// "resources.instance_count", "inputs.data.mode"), and the message quotes the bad
// value and gives the fix. Rejected: malformed YAML (line and column given), a
// document that is not a mapping, unknown fields (closest field suggested),
// duplicate keys, wrong types, a `type` other than command, a missing or
// empty `command`, `${{inputs.X}}` or `${{outputs.X}}` naming nothing
// declared (the declared names listed), other `${{...}}` expressions, counts
// that are zero, negative or not integers, unknown data types or modes (the
// supported ones listed), a non-positive `limits.timeout`, invalid names
// (job, compute, instance type, experiment, input and output names,
// environment variable names) and distribution keys that do not belong to
// the distribution type, and TensorFlow tasks that do not divide evenly over
// the instances.
absl::StatusOr<JobSpec> ParseJobSpec(std::string_view yaml_or_json_text);

// Returns the spec as a JSON object with the YAML field names, which
// ParseJobSpec reads back to an equal spec. Defaults are written out.
nlohmann::json JobSpecToJson(const JobSpec& spec);

// Applies the CLI's `--set key.sub=value` overrides to a YAML or JSON
// document and returns it as YAML. Each override splits at the first '=';
// its dotted path walks mappings, creating the missing ones, and the value
// replaces what is there as a string scalar (ParseJobSpec reads numbers from
// it). Errors: kInvalidArgument with field "set" for an override without
// '=', with an empty path segment, or whose path passes through a value that
// is not a mapping; malformed YAML as in ParseJobSpec.
absl::StatusOr<std::string> ApplySetOverrides(std::string_view yaml_text,
                                              const std::vector<std::string>& overrides);

// Replaces `${{inputs.X}}` with input_values[X] and `${{outputs.X}}` with
// output_paths[X]; whitespace inside the braces is allowed. Errors:
// kInvalidArgument with field "command" for a reference missing from the
// maps or any other `${{...}}` expression.
absl::StatusOr<std::string> SubstituteCommand(
    std::string_view command, const std::map<std::string, std::string>& input_values,
    const std::map<std::string, std::string>& output_paths);

}  // namespace ty::api
