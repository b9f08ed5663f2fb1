// MLflow tracking API, logging: runs/{log-metric, log-batch, log-parameter,
// set-tag}, metrics/get-history and artifacts/list under /api/2.0/mlflow/.
// They write through the same store calls as the native API, so a point
// logged either way reads back the same.

#include <map>

#include <fmt/format.h>

#include "api/tracking_batch_reader.h"
#include "common/json_cursor.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/mlflow_common.h"
#include "server/routes.h"
#include "server/tracking_body.h"
#include "store/job_logs.h"

namespace ty::server {
namespace {

using nlohmann::json;

constexpr int64_t kMaxHistoryResults = 25000;

// Stores `batch` for the request's run. MLflow reports a param logged again
// with another value as INVALID_PARAMETER_VALUE.
absl::StatusOr<http::Response> StoreForRun(ServerContext& context, const http::Request& request,
                                           std::string_view run_id,
                                           const api::TrackingBatch& batch) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, run_id));
  absl::StatusOr<store::BatchResult> stored = store::LogBatch(transaction, run.key, batch);
  if (absl::IsAlreadyExists(stored.status())) {
    return WithMlflowCode(stored.status(), "INVALID_PARAMETER_VALUE");
  }
  RETURN_IF_ERROR(stored.status());
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, json::object());
}

absl::StatusOr<http::Response> LogMetricRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  api::TrackingBatch batch;
  ASSIGN_OR_RETURN(api::MetricPoint point, api::MetricPointFromJson(fields, "", "key", NowMillis()));
  batch.metrics.push_back(std::move(point));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  return StoreForRun(context, request, run_id, batch);
}

// The ingestion path: the body is read in one pass, without a JSON tree,
// and the limits are checked before any entry is validated.
absl::StatusOr<http::Response> LogBatchRoute(ServerContext& context, http::Request& request) {
  RETURN_IF_ERROR(CheckTrackingBodySize(request));
  absl::StatusOr<api::BatchRequest> parsed =
      api::ReadTrackingBatch(request.body, api::BatchDialect::kMlflow, NowMillis());
  if (IsMalformedJson(parsed.status())) return WithMlflowCode(parsed.status(), "BAD_REQUEST");
  RETURN_IF_ERROR(parsed.status());
  if (parsed->run_id.empty()) return RunIdField(json::object()).status();
  return StoreForRun(context, request, parsed->run_id, parsed->batch);
}

absl::StatusOr<http::Response> LogEntryRoute(ServerContext& context, http::Request& request,
                                             bool is_tag) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  api::TrackingBatch batch;
  ASSIGN_OR_RETURN(api::TrackingEntry entry, api::TrackingEntryFromJson(fields, "", "key", is_tag));
  (is_tag ? batch.tags : batch.params).push_back(std::move(entry));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  return StoreForRun(context, request, run_id, batch);
}

absl::StatusOr<http::Response> LogParameterRoute(ServerContext& context, http::Request& request) {
  return LogEntryRoute(context, request, /*is_tag=*/false);
}

absl::StatusOr<http::Response> SetTagRoute(ServerContext& context, http::Request& request) {
  return LogEntryRoute(context, request, /*is_tag=*/true);
}

absl::StatusOr<http::Response> GetHistoryRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  ASSIGN_OR_RETURN(std::string key, RequiredField(fields, "metric_key"));
  int64_t max_results = kMaxHistoryResults;
  if (fields.contains("max_results")) {
    ASSIGN_OR_RETURN(max_results, api::Int64FromJson("max_results", fields["max_results"]));
    if (max_results < 1 || max_results > kMaxHistoryResults) {
      return absl::InvalidArgumentError(fmt::format(
          "invalid value {} for parameter 'max_results': use 1 to {}", max_results,
          kMaxHistoryResults));
    }
  }
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, run_id));
  ASSIGN_OR_RETURN(store::MetricHistoryPage page,
                   store::GetMetricHistory(transaction, run.key, key,
                                           fields.value("page_token", ""),
                                           static_cast<int>(max_results)));
  json metrics = json::array();
  for (const api::MetricPoint& point : page.points) metrics.push_back(MetricToMlflowJson(point));
  json body = {{"metrics", std::move(metrics)}};
  if (!page.next_page_token.empty()) body["next_page_token"] = page.next_page_token;
  return JsonResponse(200, body);
}

// Lists the direct children of `path` among the job's artifacts, as
// MLflow's artifact repositories do: files with their size, and folders.
absl::StatusOr<http::Response> ListArtifactsRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  std::string folder = fields.value("path", "");
  while (!folder.empty() && folder.back() == '/') folder.pop_back();
  store::TrackingRun run;
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
    ASSIGN_OR_RETURN(run, ReadAccessibleRun(transaction, request, run_id));
  }
  json body = {{"root_uri", ArtifactUri(run)}, {"files", json::array()}};
  if (run.job_id.empty()) return JsonResponse(200, body);  // a tracking-only run stores none

  ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                   store::ListArtifacts(context.database, run.job_id));
  for (const auto& [path, size] : ArtifactChildren(artifacts, folder)) {
    json file = {{"path", path}, {"is_dir", !size.has_value()}};
    if (size) file["file_size"] = *size;
    body["files"].push_back(std::move(file));
  }
  return JsonResponse(200, body);
}

}  // namespace

void RegisterMlflowLoggingRoutes(http::Router& router, ServerContext& context) {
  const std::string base = "/api/2.0/mlflow/";
  router.Add("POST", base + "runs/log-metric", MlflowBind(context, LogMetricRoute));
  router.Add("POST", base + "runs/log-batch", MlflowBind(context, LogBatchRoute));
  router.Add("POST", base + "runs/log-parameter", MlflowBind(context, LogParameterRoute));
  router.Add("POST", base + "runs/set-tag", MlflowBind(context, SetTagRoute));
  router.Add("GET", base + "metrics/get-history", MlflowBind(context, GetHistoryRoute));
  router.Add("GET", base + "artifacts/list", MlflowBind(context, ListArtifactsRoute));
}

}  // namespace ty::server
