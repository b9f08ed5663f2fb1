// MLflow tracking API, logging: runs/{log-metric, log-batch, log-parameter,
// set-tag}, metrics/get-history and artifacts/list under /api/2.0/mlflow/.
// They write through the same store calls as the native API, so a point
// logged either way reads back the same.

#include <map>

#include <fmt/format.h>

#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/mlflow_common.h"
#include "server/routes.h"
#include "store/job_logs.h"

namespace ty::server {
namespace {

using nlohmann::json;

constexpr int64_t kMaxHistoryResults = 25000;

// Reads MLflow's {"key", "value"} lists of log-batch.
absl::StatusOr<std::vector<api::TrackingEntry>> EntryList(const json& fields, std::string_view key,
                                                          bool is_tag) {
  std::vector<api::TrackingEntry> entries;
  auto list = fields.find(key);
  if (list == fields.end() || list->is_null()) return entries;
  if (!list->is_array()) {
    return absl::InvalidArgumentError(fmt::format("invalid '{}': use an array", key));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    ASSIGN_OR_RETURN(api::TrackingEntry entry,
                     api::TrackingEntryFromJson((*list)[i], fmt::format("{}[{}]", key, i), "key",
                                                is_tag));
    entries.push_back(std::move(entry));
  }
  return entries;
}

size_t ListSize(const json& fields, std::string_view key) {
  auto list = fields.find(key);
  return list != fields.end() && list->is_array() ? list->size() : 0;
}

// Stores `batch` for the request's run. MLflow reports a param logged again
// with another value as INVALID_PARAMETER_VALUE.
absl::StatusOr<http::Response> StoreForRun(ServerContext& context, const http::Request& request,
                                           const json& fields, const api::TrackingBatch& batch) {
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
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
  return StoreForRun(context, request, fields, batch);
}

absl::StatusOr<http::Response> LogBatchRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  // The limits come before any entry is read, so an oversized batch is
  // rejected whatever it contains.
  RETURN_IF_ERROR(api::CheckBatchLimits(ListSize(fields, "metrics"), ListSize(fields, "params"),
                                        ListSize(fields, "tags")));
  api::TrackingBatch batch;
  auto metrics = fields.find("metrics");
  if (metrics != fields.end() && metrics->is_array()) {
    int64_t now = NowMillis();
    batch.metrics.reserve(metrics->size());
    for (size_t i = 0; i < metrics->size(); ++i) {
      ASSIGN_OR_RETURN(api::MetricPoint point,
                       api::MetricPointFromJson((*metrics)[i], fmt::format("metrics[{}]", i),
                                                "key", now));
      batch.metrics.push_back(std::move(point));
    }
  }
  ASSIGN_OR_RETURN(batch.params, EntryList(fields, "params", /*is_tag=*/false));
  ASSIGN_OR_RETURN(batch.tags, EntryList(fields, "tags", /*is_tag=*/true));
  return StoreForRun(context, request, fields, batch);
}

absl::StatusOr<http::Response> LogEntryRoute(ServerContext& context, http::Request& request,
                                             bool is_tag) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  api::TrackingBatch batch;
  ASSIGN_OR_RETURN(api::TrackingEntry entry, api::TrackingEntryFromJson(fields, "", "key", is_tag));
  (is_tag ? batch.tags : batch.params).push_back(std::move(entry));
  return StoreForRun(context, request, fields, batch);
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
  std::string job_id;
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
    ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, run_id));
    job_id = run.job_id;
  }
  json body = {{"root_uri", ArtifactUri(run_id)}, {"files", json::array()}};
  if (job_id.empty()) return JsonResponse(200, body);  // a tracking-only run stores none

  ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                   store::ListArtifacts(context.database, job_id));
  std::string prefix = folder.empty() ? "" : folder + "/";
  std::map<std::string, std::optional<int64_t>> children;  // path, size (unset for a folder)
  for (const store::Artifact& artifact : artifacts) {
    if (!artifact.path.starts_with(prefix)) continue;
    size_t slash = artifact.path.find('/', prefix.size());
    if (slash == std::string::npos) {
      children[artifact.path] = artifact.size;
    } else {
      children.try_emplace(artifact.path.substr(0, slash), std::nullopt);
    }
  }
  for (const auto& [path, size] : children) {
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
