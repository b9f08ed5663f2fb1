#pragma once

// Shared pieces of the MLflow tracking API (mlflow_routes.cc,
// mlflow_logging_routes.cc): MLflow's error shape and status codes, request
// fields from the query string or the JSON body, and MLflow's JSON forms of
// experiments, runs and metrics.
//
// MLflow's errors are {"error_code": "RESOURCE_DOES_NOT_EXIST", "message":
// "..."} with the HTTP statuses of MLflow's own server (mlflow/exceptions.py
// in MLflow 2.x): INVALID_PARAMETER_VALUE, BAD_REQUEST and
// RESOURCE_ALREADY_EXISTS 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403,
// RESOURCE_DOES_NOT_EXIST and ENDPOINT_NOT_FOUND 404, INTERNAL_ERROR 500.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "server/route_util.h"
#include "server/server_context.h"
#include "store/job_logs.h"
#include "store/tracking_metrics.h"
#include "store/tracking_runs.h"

namespace ty::server {

// Returns `status` marked to be reported with MLflow code `error_code`
// (e.g. "BAD_REQUEST") in place of the one its absl code maps to.
absl::Status WithMlflowCode(absl::Status status, std::string_view error_code);

// MLflow's error response for a non-OK status. kInvalidArgument and
// kResourceExhausted are INVALID_PARAMETER_VALUE, kNotFound
// RESOURCE_DOES_NOT_EXIST, kAlreadyExists RESOURCE_ALREADY_EXISTS,
// kUnauthenticated UNAUTHENTICATED, kPermissionDenied PERMISSION_DENIED,
// anything else INTERNAL_ERROR (logged, message hidden).
http::Response MlflowErrorResponse(const absl::Status& status);

// Adapts an MLflow route function to the router, as Bind() does for the
// native API but with MLflow's error shape.
http::Handler MlflowBind(ServerContext& context, ContextHandler handler);

// The request's fields: the query parameters of a GET as strings, the JSON
// object body of anything else. Errors: kInvalidArgument marked BAD_REQUEST
// for a malformed body, naming the parser's byte position;
// kResourceExhausted over 1 MiB.
absl::StatusOr<nlohmann::json> MlflowRequestFields(const http::Request& request);

// Returns fields[`key`] as a non-empty string. Errors: kInvalidArgument
// naming the missing parameter.
absl::StatusOr<std::string> RequiredField(const nlohmann::json& fields, std::string_view key);

// Returns fields["run_id"], or fields["run_uuid"] that older clients send.
absl::StatusOr<std::string> RunIdField(const nlohmann::json& fields);

// Reads the run named by run_id, checking the token's access to it.
// Errors: kNotFound, kPermissionDenied.
absl::StatusOr<store::TrackingRun> ReadAccessibleRun(store::Transaction& transaction,
                                                     const http::Request& request,
                                                     std::string_view run_id);

// The artifact URI of a run, "mlflow-artifacts:/<experiment_id>/<run_id>/artifacts",
// which MLflow clients resolve to the artifact proxy under
// /api/2.0/mlflow-artifacts/artifacts/ (mlflow_artifact_routes.cc).
std::string ArtifactUri(const store::TrackingRun& run);

// Returns the direct children of `folder` ("" for the top) among
// `artifacts`: each child's path from the artifacts' root, and its size, or
// no size for a folder.
std::map<std::string, std::optional<int64_t>> ArtifactChildren(
    const std::vector<store::Artifact>& artifacts, std::string_view folder);

// Registers MLflow's artifact proxy (mlflow_artifact_routes.cc); called by
// RegisterMlflowRoutes.
void RegisterMlflowArtifactRoutes(http::Router& router, ServerContext& context);

nlohmann::json ExperimentToMlflowJson(const store::Experiment& experiment);
nlohmann::json RunInfoToMlflowJson(const store::TrackingRun& run);
nlohmann::json MetricToMlflowJson(const api::MetricPoint& point);

// The run with its data: the latest point of every metric, params and tags.
absl::StatusOr<nlohmann::json> RunToMlflowJson(store::Transaction& transaction,
                                               const store::TrackingRun& run);

// {"key", "value"} list of entries.
nlohmann::json EntriesToMlflowJson(const std::vector<api::TrackingEntry>& entries);

// Registers the logging endpoints (mlflow_logging_routes.cc); called by
// RegisterMlflowRoutes.
void RegisterMlflowLoggingRoutes(http::Router& router, ServerContext& context);

}  // namespace ty::server
