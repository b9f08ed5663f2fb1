#pragma once

// Uploads a job's outputs from its pod. The executor cannot read files in a
// pod, so the main container uploads them itself once the launcher ends. The
// pod of node rank 0 sends each folder under kOutputsDir as artifacts of the
// job's run, using the Trainyard Python client and the job token from the
// pod's environment. The job's image must therefore provide python3 with
// `trainyard_client`, as it does for run tracking.

#include <string>

#include "agent/executor.h"

namespace ty::executors::kubernetes {

// Returns the main container's script. `launcher` runs as a child that
// SIGTERM is passed on to, and then the outputs are uploaded whatever its
// exit code. The script exits with the launcher's code, or with 1 when the
// launcher succeeded but an upload failed, whose reason is printed. With no
// outputs in `spec`, returns `launcher` unchanged.
// NOTE: outputs written by pods of other node ranks are not uploaded.
std::string WithOutputUpload(const agent::LaunchSpec& spec, const std::string& launcher);

}  // namespace ty::executors::kubernetes
