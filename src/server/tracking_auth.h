#pragma once

// Job tokens on the REST API. A job token (store/job_tokens.h) authenticates
// only the tracking paths: the native ones under /api/v1/runs/{run} and
// .../jobs/{job}/{run,metrics,params,tags,artifacts}, MLflow's under
// /api/2.0/mlflow/, and blob upload for artifacts. Which run a request
// touches is known only once its route has read the run id, so the API
// handler marks the request with the token's run and each tracking route
// calls CheckRunAccess with the run it resolved.

#include <string_view>

#include "absl/status/status.h"
#include "common/http/message.h"
#include "store/database.h"

namespace ty::server {

// The request header that names the run of the job token that
// authenticated the request. Clients cannot set it: AuthenticateJobToken
// replaces any copy they send.
inline constexpr char kJobTokenRunHeader[] = "x-trainyard-job-run";

// Whether a job token may be used on `request`'s method and path at all.
bool IsJobTokenPath(const http::Request& request);

// Authenticates `token` as a job token and marks `request` with its run.
// Errors: kUnauthenticated when no run has that token, for example because
// it was revoked when its job ended. kPermissionDenied when job tokens may
// not use the path.
absl::Status AuthenticateJobToken(store::Database& database, http::Request& request,
                                  std::string_view token);

// Returns OK when `request` may read or write the run `run_id`: always for
// the admin token, and for a job token only for its own run. Errors:
// kPermissionDenied naming both runs.
absl::Status CheckRunAccess(const http::Request& request, std::string_view run_id);

// Returns OK for the admin token and kPermissionDenied for a job token. Use
// it for actions beyond the job's own run; `action` names the action in the
// message ("creating experiments").
absl::Status RequireAdminToken(const http::Request& request, std::string_view action);

// The error response for a failed authentication: MLflow's error shape on
// /api/2.0/mlflow/ paths, the API's own shape elsewhere.
http::Response AuthErrorResponse(const http::Request& request, const absl::Status& status);

}  // namespace ty::server
