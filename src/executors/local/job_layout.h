#pragma once

// The working folder of one job under the executor's work root:
//
//   <work root>/<job folder name>/
//     state.json      the executor's journal of the job (job_state.h)
//     code/           the extracted code snapshot; every rank's working folder
//     outputs/<name>/ one folder per output, uploaded when the job ends
//     hostfile        MPI jobs only
//     rank-<N>/       one per rank: the shim's files (shim_protocol.h)

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/executor.h"

namespace ty::executors::local {

// Returns a folder name for `job_id` that is one path component and maps
// distinct ids to distinct names: bytes outside [A-Za-z0-9_.-], a leading
// '.', and '%' itself are written as %XX.
std::string JobFolderName(const std::string& job_id);

// Paths inside one job folder.
struct JobPaths {
  explicit JobPaths(std::string job_dir);

  std::string job_dir;
  std::string state_file;
  std::string code_dir;
  std::string outputs_dir;
  std::string hostfile;

  std::string OutputDir(const std::string& name) const;
  std::string RankDir(int rank) const;
};

// Creates the job folder, code/, outputs/<name>/ for each output and
// rank-<N>/ for `rank_count` ranks. Errors: kInvalidArgument for an output
// name that is not a plain folder name, kInternal when a folder cannot be
// created.
absl::Status CreateJobLayout(const JobPaths& paths, const std::vector<std::string>& outputs,
                             int rank_count);

// Extracts the tar archive `archive` (optionally compressed) into
// `destination`. Errors: kInvalidArgument for an entry with an absolute path
// or a '..' component, or for a link that points outside the snapshot;
// kDataLoss when the archive cannot be read.
absl::Status ExtractCodeArchive(const std::string& archive, const std::string& destination);

// Returns `value` quoted for /bin/sh when it contains characters the
// shell would interpret, and unchanged otherwise.
std::string ShellQuote(const std::string& value);

// Substitutes the command's references with api::SubstituteCommand:
// ${{inputs.NAME}} becomes the input's literal value (unquoted, as written in
// the job spec) or its local path, ${{outputs.NAME}} the output's absolute
// folder; paths are shell-quoted when needed. Errors: kInvalidArgument for a
// reference to an input or output the job does not declare, or any other
// ${{...}} expression.
absl::StatusOr<std::string> SubstituteCommand(
    const std::string& command, const std::map<std::string, agent::InputBinding>& inputs,
    const std::map<std::string, std::string>& output_dirs);

}  // namespace ty::executors::local
