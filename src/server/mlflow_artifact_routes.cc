// MLflow's artifact proxy under /api/2.0/mlflow-artifacts/artifacts, which
// MLflow clients use for a run whose artifact_uri is
// "mlflow-artifacts:/<experiment_id>/<run_id>/artifacts":
//
//   PUT  .../artifacts/<location>/<path>   upload one file (POST from old clients)
//   GET  .../artifacts/<location>/<path>   download one file
//   GET  .../artifacts?path=<location>[/<folder>]
//        list a folder: {"files": [{"path", "is_dir", "file_size"}]} with
//        paths relative to the listed folder
//
// Files land among the job's artifacts, next to its uploaded outputs, so
// `trainyard ml job download` and the native API return them too.

#include <vector>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/mlflow_common.h"
#include "server/routes.h"
#include "store/job_logs.h"

namespace ty::server {
namespace {

using nlohmann::json;

// A path under the proxy, split into the run and the artifact path.
struct ArtifactLocation {
  std::string experiment_id;
  std::string run_id;
  std::string path;  // relative to the run's artifact root; "" for the root
};

absl::Status InvalidLocation(std::string_view location, std::string_view reason) {
  return absl::InvalidArgumentError(fmt::format(
      "invalid artifact location '{}': {}; expected <experiment_id>/<run_id>/artifacts/<path> as "
      "in the run's artifact_uri",
      location, reason));
}

absl::StatusOr<ArtifactLocation> ParseLocation(std::string_view location) {
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(location.data(), location.size()), '/');
  if (parts.size() < 3 || parts[2] != "artifacts") {
    return InvalidLocation(location, "it does not name a run's artifacts");
  }
  ArtifactLocation parsed{.experiment_id = parts[0], .run_id = parts[1], .path = ""};
  for (size_t i = 3; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty() && i + 1 == parts.size()) break;  // a trailing '/'
    if (part.empty() || part == "." || part == "..") {
      return InvalidLocation(location, fmt::format("path segment '{}' is not allowed", part));
    }
    parsed.path += parsed.path.empty() ? part : "/" + part;
  }
  return parsed;
}

// Reads the location's run, checking the token's access and that the
// experiment id matches. Returns the run's job id, "" for a tracking-only run.
absl::StatusOr<std::string> JobOfLocation(ServerContext& context, const http::Request& request,
                                          const ArtifactLocation& location) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, location.run_id));
  if (std::to_string(run.experiment_id) != location.experiment_id) {
    return absl::NotFoundError(fmt::format(
        "run '{}' is in experiment {}, not {}: use the run's artifact_uri", run.run_id,
        run.experiment_id, location.experiment_id));
  }
  return run.job_id;
}

absl::StatusOr<http::Response> UploadRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(ArtifactLocation location, ParseLocation(request.Param("path")));
  if (location.path.empty()) {
    return InvalidLocation(request.Param("path"), "it names no file under the run's artifacts");
  }
  ASSIGN_OR_RETURN(std::string job_id, JobOfLocation(context, request, location));
  if (job_id.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "run '{}' has no job, and only a job's run stores artifacts: log artifacts from a "
        "Trainyard job",
        location.run_id));
  }
  ASSIGN_OR_RETURN(BlobInfo blob, context.blobs.Put(request.body));
  RETURN_IF_ERROR(store::AddArtifact(
      context.database, job_id,
      {.path = location.path, .size = blob.size, .digest = blob.digest}));
  return JsonResponse(200, json::object());
}

absl::StatusOr<http::Response> DownloadRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(ArtifactLocation location, ParseLocation(request.Param("path")));
  ASSIGN_OR_RETURN(std::string job_id, JobOfLocation(context, request, location));
  if (!job_id.empty()) {
    ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                     store::ListArtifacts(context.database, job_id));
    for (const store::Artifact& artifact : artifacts) {
      if (artifact.path != location.path) continue;
      ASSIGN_OR_RETURN(std::string bytes, context.blobs.Get(artifact.digest));
      http::Response response;
      response.content_type = "application/octet-stream";
      response.body = std::move(bytes);
      return response;
    }
  }
  return absl::NotFoundError(fmt::format(
      "artifact '{}' not found in run '{}'; list the run's artifacts with GET "
      "/api/2.0/mlflow-artifacts/artifacts?path={}/{}/artifacts",
      location.path, location.run_id, location.experiment_id, location.run_id));
}

absl::StatusOr<http::Response> ListRoute(ServerContext& context, http::Request& request) {
  std::string query = request.Query("path");
  if (query.empty()) {
    return absl::InvalidArgumentError(
        "missing query parameter 'path': pass <experiment_id>/<run_id>/artifacts[/<folder>]");
  }
  ASSIGN_OR_RETURN(ArtifactLocation location, ParseLocation(query));
  ASSIGN_OR_RETURN(std::string job_id, JobOfLocation(context, request, location));
  json files = json::array();
  if (!job_id.empty()) {
    ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                     store::ListArtifacts(context.database, job_id));
    size_t prefix = location.path.empty() ? 0 : location.path.size() + 1;
    for (const auto& [path, size] : ArtifactChildren(artifacts, location.path)) {
      json file = {{"path", path.substr(prefix)}, {"is_dir", !size.has_value()}};
      if (size) file["file_size"] = *size;
      files.push_back(std::move(file));
    }
  }
  return JsonResponse(200, {{"files", std::move(files)}});
}

}  // namespace

void RegisterMlflowArtifactRoutes(http::Router& router, ServerContext& context) {
  const std::string base = "/api/2.0/mlflow-artifacts/artifacts";
  router.Add("GET", base, MlflowBind(context, ListRoute));
  router.Add("GET", base + "/{path*}", MlflowBind(context, DownloadRoute));
  router.Add("PUT", base + "/{path*}", MlflowBind(context, UploadRoute));
  router.Add("POST", base + "/{path*}", MlflowBind(context, UploadRoute));
}

}  // namespace ty::server
