// Run tracking, native API: metrics, params, tags and artifact records of a
// run, under /api/v1/runs/{run} and under the job's path
// .../workspaces/{workspace}/jobs/{job}, plus the list of a workspace's runs.

#include <fmt/format.h>

#include "api/tracking_batch_reader.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "server/run_resolver.h"
#include "server/tracking_auth.h"
#include "server/tracking_body.h"
#include "store/job_logs.h"
#include "store/jobs.h"
#include "store/tracking_metrics.h"
#include "store/tracking_runs.h"

namespace ty::server {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultHistoryPageSize = 1000;
constexpr int64_t kMaxHistoryPageSize = 25000;

json RunJson(const store::TrackingRun& run) {
  json body = {{"runId", run.run_id},
               {"experimentId", std::to_string(run.experiment_id)},
               {"experimentName", run.experiment_name},
               {"resourceGroup", run.resource_group},
               {"workspace", run.workspace},
               {"runName", run.run_name},
               {"status", store::RunStatusName(run.status)}};
  if (!run.job_name.empty()) body["jobName"] = run.job_name;
  if (run.start_time) body["startTime"] = FormatRfc3339(*run.start_time);
  if (run.end_time) body["endTime"] = FormatRfc3339(*run.end_time);
  return body;
}

json PointJson(const api::MetricPoint& point) {
  return {{"step", point.step},
          {"timestamp", point.timestamp},
          {"value", api::MetricValueToJson(point.value)}};
}

json SummaryJson(const store::MetricSummary& summary) {
  json nan = "NaN";
  return {{"name", summary.name},
          {"latest", PointJson(summary.latest)},
          {"min", summary.min ? api::MetricValueToJson(*summary.min) : nan},
          {"max", summary.max ? api::MetricValueToJson(*summary.max) : nan},
          {"count", summary.count},
          {"lastStep", summary.latest.step}};
}

json EntriesJson(const std::vector<api::TrackingEntry>& entries) {
  json items = json::array();
  for (const api::TrackingEntry& entry : entries) {
    items.push_back({{"name", entry.name}, {"value", entry.value}});
  }
  return {{"items", std::move(items)}};
}

// Stores `batch` for the path's run in one transaction.
absl::StatusOr<http::Response> StoreBatch(ServerContext& context, const http::Request& request,
                                          const api::TrackingBatch& batch) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
  ASSIGN_OR_RETURN(store::BatchResult result, store::LogBatch(transaction, run.key, batch));
  RETURN_IF_ERROR(transaction.Commit());
  json body = {{"metrics", result.metrics}, {"params", result.params}, {"tags", result.tags}};
  if (result.duplicate) body["duplicate"] = true;
  return JsonResponse(200, body);
}

// The ingestion path: the body is read in one pass, without a JSON tree.
absl::StatusOr<http::Response> LogMetricBatch(ServerContext& context, http::Request& request) {
  RETURN_IF_ERROR(CheckTrackingBodySize(request));
  ASSIGN_OR_RETURN(api::BatchRequest parsed,
                   api::ReadTrackingBatch(request.body, api::BatchDialect::kNative, NowMillis()));
  return StoreBatch(context, request, parsed.batch);
}

absl::StatusOr<http::Response> LogOneMetric(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json body, ParseTrackingBody(request));
  api::TrackingBatch batch;
  ASSIGN_OR_RETURN(api::MetricPoint point,
                   api::MetricPointFromJson(body, "", "name", NowMillis()));
  batch.metrics.push_back(std::move(point));
  return StoreBatch(context, request, batch);
}

absl::StatusOr<http::Response> LogOneEntry(ServerContext& context, http::Request& request,
                                           bool is_tag) {
  ASSIGN_OR_RETURN(json body, ParseTrackingBody(request));
  api::TrackingBatch batch;
  ASSIGN_OR_RETURN(api::TrackingEntry entry, api::TrackingEntryFromJson(body, "", "name", is_tag));
  (is_tag ? batch.tags : batch.params).push_back(std::move(entry));
  absl::StatusOr<http::Response> response = StoreBatch(context, request, batch);
  // A batch names the param's position; a single param has none.
  if (absl::IsAlreadyExists(response.status())) {
    return FieldError(absl::StatusCode::kAlreadyExists, "value",
                      std::string(response.status().message()));
  }
  return response;
}

absl::StatusOr<http::Response> LogParam(ServerContext& context, http::Request& request) {
  return LogOneEntry(context, request, /*is_tag=*/false);
}

absl::StatusOr<http::Response> SetTag(ServerContext& context, http::Request& request) {
  return LogOneEntry(context, request, /*is_tag=*/true);
}

absl::StatusOr<http::Response> GetRun(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, RunJson(run));
}

absl::StatusOr<http::Response> ListSummaries(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
  ASSIGN_OR_RETURN(store::MetricSummaryPage summaries,
                   store::ListMetricSummaries(transaction, run.key, page.page_token,
                                              page.page_size));
  RETURN_IF_ERROR(transaction.Commit());
  json items = json::array();
  for (const store::MetricSummary& summary : summaries.items) items.push_back(SummaryJson(summary));
  return JsonResponse(200, ListJson(std::move(items), summaries.next_page_token));
}

// GET .../metrics/{name*}: the summary of metric `name`, or its history when
// the path ends in "/history". Names may contain '/', sent raw or as %2F.
absl::StatusOr<http::Response> ReadMetric(ServerContext& context, http::Request& request) {
  std::string name = request.Param("name");
  constexpr std::string_view kHistory = "/history";
  bool history = name.size() > kHistory.size() && name.ends_with(kHistory);
  if (history) name.resize(name.size() - kHistory.size());
  RETURN_IF_ERROR(api::ValidateTrackingKey("metric", "name", name));

  ASSIGN_OR_RETURN(int64_t page_size, IntQuery(request, "pageSize", kDefaultHistoryPageSize, 1,
                                               kMaxHistoryPageSize));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
  if (!history) {
    ASSIGN_OR_RETURN(store::MetricSummary summary,
                     store::GetMetricSummary(transaction, run.key, name));
    RETURN_IF_ERROR(transaction.Commit());
    return JsonResponse(200, SummaryJson(summary));
  }
  ASSIGN_OR_RETURN(store::MetricHistoryPage page,
                   store::GetMetricHistory(transaction, run.key, name, request.Query("pageToken"),
                                           static_cast<int>(page_size)));
  RETURN_IF_ERROR(transaction.Commit());
  json items = json::array();
  for (const api::MetricPoint& point : page.points) items.push_back(PointJson(point));
  json body = {{"name", name}, {"items", std::move(items)}};
  if (!page.next_page_token.empty()) body["nextPageToken"] = page.next_page_token;
  return JsonResponse(200, body);
}

absl::StatusOr<http::Response> ListEntries(ServerContext& context, http::Request& request,
                                           bool tags) {
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
  ASSIGN_OR_RETURN(std::vector<api::TrackingEntry> entries,
                   tags ? store::ListTags(transaction, run.key)
                        : store::ListParams(transaction, run.key));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, EntriesJson(entries));
}

absl::StatusOr<http::Response> ListParamsRoute(ServerContext& context, http::Request& request) {
  return ListEntries(context, request, /*tags=*/false);
}

absl::StatusOr<http::Response> ListTagsRoute(ServerContext& context, http::Request& request) {
  return ListEntries(context, request, /*tags=*/true);
}

// POST .../artifacts {"path", "digest", "size"}: records a blob uploaded
// through POST /api/v1/blobs as an artifact of the run's job.
absl::StatusOr<http::Response> RecordArtifact(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json body, ParseTrackingBody(request));
  ASSIGN_OR_RETURN(store::Artifact artifact, ArtifactFromJson(body));
  ASSIGN_OR_RETURN(bool stored, context.blobs.Contains(artifact.digest));
  if (!stored) {
    return InvalidField("digest", fmt::format("blob '{}' not found: upload the file with POST "
                                              "/api/v1/blobs first",
                                              artifact.digest));
  }
  ASSIGN_OR_RETURN(int64_t blob_size, context.blobs.SizeOf(artifact.digest));
  if (blob_size != artifact.size) {
    return InvalidField("size", fmt::format("size {} does not match blob '{}', which has {} "
                                            "bytes; send the size POST /api/v1/blobs returned",
                                            artifact.size, artifact.digest, blob_size));
  }
  std::string job_id;
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
    ASSIGN_OR_RETURN(store::TrackingRun run, ResolveRun(transaction, request));
    RETURN_IF_ERROR(transaction.Commit());
    job_id = run.job_id;
  }
  if (job_id.empty()) {
    return absl::FailedPreconditionError(
        "the run has no job, and only a job's run stores artifacts: log artifacts from a "
        "Trainyard job");
  }
  RETURN_IF_ERROR(store::AddArtifact(context.database, job_id, artifact));
  return JsonResponse(200, {{"path", artifact.path}, {"digest", artifact.digest},
                            {"size", artifact.size}});
}

absl::StatusOr<http::Response> ListWorkspaceRuns(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  store::RunQuery query;
  query.resource_group = request.Param("group");
  query.workspace = request.Param("workspace");
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  std::string experiment = request.Query("experiment");
  if (!experiment.empty()) {
    absl::StatusOr<store::Experiment> found = store::GetExperimentByName(transaction, experiment);
    if (absl::IsNotFound(found.status())) return JsonResponse(200, ListJson(json::array(), ""));
    RETURN_IF_ERROR(found.status());
    query.experiment_ids.push_back(found->id);
  }
  ASSIGN_OR_RETURN(std::vector<store::TrackingRun> runs, store::ListRuns(transaction, query));
  ASSIGN_OR_RETURN(json body, PageOfRuns(runs, page, RunJson));
  return JsonResponse(200, body);
}

}  // namespace

void RegisterTrackingRoutes(http::Router& router, ServerContext& context) {
  const std::string job = "/api/v1/resourceGroups/{group}/workspaces/{workspace}/jobs/{job}";
  const std::string run = "/api/v1/runs/{run}";
  router.Add("GET", run, Bind(context, GetRun));
  router.Add("GET", job + "/run", Bind(context, GetRun));
  for (const std::string& base : {run, job}) {
    router.Add("POST", base + "/metrics", Bind(context, LogOneMetric));
    router.Add("POST", base + "/metrics/batch", Bind(context, LogMetricBatch));
    router.Add("GET", base + "/metrics", Bind(context, ListSummaries));
    router.Add("GET", base + "/metrics/{name*}", Bind(context, ReadMetric));
    router.Add("POST", base + "/params", Bind(context, LogParam));
    router.Add("GET", base + "/params", Bind(context, ListParamsRoute));
    router.Add("POST", base + "/tags", Bind(context, SetTag));
    router.Add("GET", base + "/tags", Bind(context, ListTagsRoute));
    router.Add("POST", base + "/artifacts", Bind(context, RecordArtifact));
  }
  router.Add("GET", "/api/v1/resourceGroups/{group}/workspaces/{workspace}/runs",
             Bind(context, ListWorkspaceRuns));
}

}  // namespace ty::server
