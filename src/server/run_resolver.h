#pragma once

// The tracking run that a request's path names: /api/v1/runs/{run}/... or a
// job's path .../workspaces/{workspace}/jobs/{job}/...

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "store/database.h"
#include "store/tracking_runs.h"

namespace ty::server {

// Reads the run that the path names, by run id or by job, and checks that
// the request's token may use it. A job path creates the job's run on first
// use, so it needs a write transaction. Errors: kNotFound for an unknown run
// or job, kPermissionDenied for another run's job token.
absl::StatusOr<store::TrackingRun> ResolveRun(store::Transaction& transaction,
                                              const http::Request& request);

}  // namespace ty::server
