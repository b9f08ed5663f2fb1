#pragma once

// Turns a job's data inputs into paths on the agent's host before its ranks
// start. The local executor and its job share one host, so:
//
//   ro_mount  the job gets the input's own path, after a check that it
//             exists and has the declared type.
//   download  the input is copied into <job folder>/inputs/<name>/ and the
//             job gets the copy, so the job may change it freely.
//   direct    the job gets the path or URI exactly as written, unchecked,
//             and reads it by its own means.
//
// NOTE: ro_mount does not stop the job from writing to the input, because
// doing so would need a mount namespace per job. Use download for a private
// copy.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "agent/executor.h"

namespace ty::executors::local {

// Returns `inputs` with every data input's value replaced by the path the
// job reads, copying download inputs under `inputs_dir` (which is removed
// first, so a job prepared again after an agent restart gets a fresh copy).
// Literals pass through unchanged. Every error names the input and the fix.
// kInvalidArgument: a relative path, or a URI in a mode other than direct.
// kNotFound: a missing path. kFailedPrecondition: a file given as a folder
// or the reverse. kInternal: a copy that failed.
absl::StatusOr<std::map<std::string, agent::InputBinding>> StageInputs(
    const std::map<std::string, agent::InputBinding>& inputs, const std::string& inputs_dir);

}  // namespace ty::executors::local
