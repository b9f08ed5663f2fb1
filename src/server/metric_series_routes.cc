// Chart data: GET .../metricSeries?name=N&x=step|time&buckets=B&from=F&to=T
// under /api/v1/runs/{run} and under a job's path. Returns one metric's
// points within [from, to], reduced on the server (metric_downsample.h) so
// that a chart of a million points transfers and draws a few thousand.

#include <fmt/format.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/metric_downsample.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "server/run_resolver.h"
#include "store/tracking_metrics.h"
#include "store/tracking_runs.h"

namespace ty::server {
namespace {

constexpr int64_t kDefaultBuckets = 1000;
constexpr int64_t kMaxBuckets = 10000;
// Upper bound for one read of a metric's history; larger than any series
// the store is expected to hold.
constexpr int kMaxPointsRead = 1 << 30;

absl::StatusOr<DownsampleRequest> ParseSeriesQuery(const http::Request& request) {
  DownsampleRequest parsed;
  std::string axis = request.Query("x", "step");
  if (axis == "time") {
    parsed.axis = SeriesAxis::kTime;
  } else if (axis != "step") {
    return InvalidField("x", fmt::format("invalid axis '{}'; use step or time", axis));
  }
  ASSIGN_OR_RETURN(int64_t buckets, IntQuery(request, "buckets", kDefaultBuckets, 1, kMaxBuckets));
  parsed.buckets = static_cast<int>(buckets);
  if (!request.Query("from").empty()) {
    ASSIGN_OR_RETURN(parsed.from, IntQuery(request, "from", 0, INT64_MIN, INT64_MAX));
  }
  if (!request.Query("to").empty()) {
    ASSIGN_OR_RETURN(parsed.to, IntQuery(request, "to", 0, INT64_MIN, INT64_MAX));
  }
  if (parsed.from && parsed.to && *parsed.from > *parsed.to) {
    return InvalidField("from", fmt::format("from {} is after to {}; swap them", *parsed.from,
                                            *parsed.to));
  }
  return parsed;
}

absl::StatusOr<http::Response> ReadSeries(ServerContext& context, http::Request& request) {
  std::string name = request.Query("name");
  if (name.empty()) {
    return InvalidField("name", "missing; pass ?name=<metric name> (list the names with GET "
                                ".../metrics)");
  }
  RETURN_IF_ERROR(api::ValidateTrackingKey("metric", "name", name));
  ASSIGN_OR_RETURN(DownsampleRequest downsample, ParseSeriesQuery(request));
  store::TrackingRun run;
  {
    // A job's path creates the job's run on first use, which needs a write
    // transaction. The points are read afterwards in a read transaction, so
    // that the long read does not hold up writers.
    ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
    ASSIGN_OR_RETURN(run, ResolveRun(transaction, request));
    RETURN_IF_ERROR(transaction.Commit());
  }

  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetMetricSummary(transaction, run.key, name).status());
  ASSIGN_OR_RETURN(store::MetricHistoryPage history,
                   store::GetMetricHistory(transaction, run.key, name, "", kMaxPointsRead));
  Series series = Downsample(std::move(history.points), downsample);

  nlohmann::json y = nlohmann::json::array();
  for (double value : series.y) y.push_back(api::MetricValueToJson(value));
  return JsonResponse(200, {{"name", name},
                            {"x", downsample.axis == SeriesAxis::kStep ? "step" : "time"},
                            {"total", series.total},
                            {"downsampled", series.downsampled},
                            {"points", {{"x", series.x}, {"y", std::move(y)}}}});
}

}  // namespace

void RegisterMetricSeriesRoutes(http::Router& router, ServerContext& context) {
  router.Add("GET", "/api/v1/runs/{run}/metricSeries", Bind(context, ReadSeries));
  router.Add("GET",
             "/api/v1/resourceGroups/{group}/workspaces/{workspace}/jobs/{job}/metricSeries",
             Bind(context, ReadSeries));
}

}  // namespace ty::server
