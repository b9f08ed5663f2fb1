// Job output: .../jobs/{job}/logs and .../jobs/{job}/artifacts[/{path*}].

#include <chrono>

#include <fmt/format.h>

#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/job_logs.h"
#include "store/jobs.h"

namespace ty::server {
namespace {

constexpr int64_t kMaxWaitSeconds = 60;
constexpr int64_t kDefaultLogLimit = 1000;
constexpr int64_t kMaxLogLimit = 10000;

std::string JobIdOf(const http::Request& request) {
  std::string workspace = store::ChildId(store::GroupId(request.Param("group")),
                                         store::kWorkspaces, request.Param("workspace"));
  return store::JobId(workspace, request.Param("job"));
}

absl::StatusOr<bool> IsFinal(store::Database& database, std::string_view job_id) {
  ASSIGN_OR_RETURN(store::Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(store::JobRecord job, store::GetJob(transaction, job_id));
  return api::IsTerminal(job.status);
}

absl::StatusOr<http::Response> ReadLogs(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(int64_t after, IntQuery(request, "after", 0, 0, INT64_MAX));
  ASSIGN_OR_RETURN(int64_t wait, IntQuery(request, "wait", 0, 0, kMaxWaitSeconds));
  ASSIGN_OR_RETURN(int64_t limit, IntQuery(request, "limit", kDefaultLogLimit, 1, kMaxLogLimit));
  std::optional<int64_t> rank;
  if (!request.Query("rank").empty()) {
    ASSIGN_OR_RETURN(rank, IntQuery(request, "rank", 0, 0, INT64_MAX));
  }

  std::string job_id = JobIdOf(request);
  std::string topic = store::JobTopic(job_id);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
  while (true) {
    // Reading the version before the store means a line stored between the
    // read and the wait still ends the wait.
    uint64_t seen = context.notifier.Version(topic);
    ASSIGN_OR_RETURN(bool final, IsFinal(context.database, job_id));
    ASSIGN_OR_RETURN(store::LogPage page, store::ReadLogLines(context.database, job_id, after,
                                                              rank, static_cast<int>(limit)));
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!page.lines.empty() || final || remaining.count() <= 0 || context.notifier.shut_down()) {
      nlohmann::json lines = nlohmann::json::array();
      for (const store::LogLine& line : page.lines) {
        lines.push_back({{"seq", line.seq},
                         {"time", FormatRfc3339(line.time_millis)},
                         {"node", line.node},
                         {"rank", line.rank},
                         {"stream", line.stream},
                         {"text", line.text}});
      }
      // Complete once the job is final and this page reached the last line.
      bool complete = final && static_cast<int64_t>(page.lines.size()) < limit;
      return JsonResponse(200, {{"lines", std::move(lines)},
                                {"nextSeq", page.next_seq},
                                {"complete", complete}});
    }
    context.notifier.WaitFor(topic, seen, remaining);
  }
}

absl::StatusOr<http::Response> ListArtifacts(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                   store::ListArtifacts(context.database, JobIdOf(request)));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Artifact& artifact : artifacts) {
    items.push_back(
        {{"path", artifact.path}, {"size", artifact.size}, {"digest", artifact.digest}});
  }
  return JsonResponse(200, {{"items", std::move(items)}});
}

absl::StatusOr<http::Response> DownloadArtifact(ServerContext& context, http::Request& request) {
  std::string job_id = JobIdOf(request);
  std::string path = request.Param("path");
  ASSIGN_OR_RETURN(std::vector<store::Artifact> artifacts,
                   store::ListArtifacts(context.database, job_id));
  for (const store::Artifact& artifact : artifacts) {
    if (artifact.path != path) continue;
    ASSIGN_OR_RETURN(std::string bytes, context.blobs.Get(artifact.digest));
    http::Response response;
    response.content_type = "application/octet-stream";
    response.body = std::move(bytes);
    return response;
  }
  return absl::NotFoundError(fmt::format("artifact '{}' not found in {}; list them with GET "
                                         ".../artifacts",
                                         path, store::DescribeResource(job_id)));
}

}  // namespace

void RegisterJobOutputRoutes(http::Router& router, ServerContext& context) {
  const std::string job = "/api/v1/resourceGroups/{group}/workspaces/{workspace}/jobs/{job}";
  router.Add("GET", job + "/logs", Bind(context, ReadLogs));
  router.Add("GET", job + "/artifacts", Bind(context, ListArtifacts));
  router.Add("GET", job + "/artifacts/{path*}", Bind(context, DownloadArtifact));
}

}  // namespace ty::server
