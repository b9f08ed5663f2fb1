// Server-sent events for the web page: the live status and log lines of one
// job, and the status changes of a workspace's jobs.
//
//   GET .../jobs/{job}/events?after=SEQ   events "job", "logs", "end"
//   GET .../workspaces/{workspace}/jobEvents?since=MILLIS   events "jobs"
//
// Each event's data is one line of JSON. A comment line every
// kKeepAliveInterval keeps proxies from closing an idle stream and shows
// the server whether the page is still there.

#include <chrono>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/job_json.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/job_logs.h"
#include "store/jobs.h"

namespace ty::server {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kKeepAliveInterval{15};
// How often the workspace stream looks for changed jobs. Jobs of a
// workspace have no common notifier topic, so this stream polls an index.
constexpr std::chrono::seconds kWorkspacePollInterval{1};
constexpr int kLogLinesPerEvent = 1000;
constexpr int kJobsPerEvent = 500;

std::string WorkspaceIdOf(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kWorkspaces,
                        request.Param("workspace"));
}

std::string Event(std::string_view name, const json& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name,
                     data.dump(-1, ' ', false, json::error_handler_t::replace));
}

http::Response EventStream(std::function<void(const http::ChunkWriter&)> stream) {
  http::Response response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.stream = std::move(stream);
  return response;
}

struct JobSnapshot {
  json body;
  int64_t version = 0;
  bool final = false;
};

absl::StatusOr<JobSnapshot> ReadJob(store::Database& database, std::string_view job_id) {
  ASSIGN_OR_RETURN(store::Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(store::JobRecord job, store::GetJob(transaction, job_id));
  ASSIGN_OR_RETURN(std::vector<store::JobHistoryEntry> history,
                   store::JobHistory(transaction, job_id));
  ASSIGN_OR_RETURN(std::vector<store::JobNode> nodes, store::JobNodes(transaction, job_id));
  return JobSnapshot{JobJson(job, history, nodes), job.version, api::IsTerminal(job.status)};
}

json LinesJson(const std::vector<store::LogLine>& lines) {
  json items = json::array();
  for (const store::LogLine& line : lines) {
    items.push_back({{"seq", line.seq},
                     {"time", FormatRfc3339(line.time_millis)},
                     {"node", line.node},
                     {"rank", line.rank},
                     {"stream", line.stream},
                     {"text", line.text}});
  }
  return items;
}

// Streams one job until it is final and its last log line went out, the
// page goes away or the server stops.
void StreamJob(ServerContext& context, const std::string& job_id, int64_t after,
               const http::ChunkWriter& write) {
  std::string topic = store::JobTopic(job_id);
  int64_t sent_version = -1;
  auto last_write = std::chrono::steady_clock::now();
  while (!context.notifier.shut_down()) {
    // Reading the version first means a change stored during the reads
    // below still ends the wait.
    uint64_t seen = context.notifier.Version(topic);
    absl::StatusOr<JobSnapshot> job = ReadJob(context.database, job_id);
    if (!job.ok()) {
      log::Warning("[job {}] event stream ended because {}", job_id, job.status().message());
      write(Event("error", {{"message", std::string(job.status().message())}}));
      return;
    }
    if (job->version != sent_version) {
      if (!write(Event("job", job->body))) return;
      sent_version = job->version;
      last_write = std::chrono::steady_clock::now();
    }
    bool caught_up = false;
    while (!caught_up) {
      absl::StatusOr<store::LogPage> page =
          store::ReadLogLines(context.database, job_id, after, std::nullopt, kLogLinesPerEvent);
      if (!page.ok()) {
        log::Warning("[job {}] event stream ended because {}", job_id, page.status().message());
        write(Event("error", {{"message", std::string(page.status().message())}}));
        return;
      }
      caught_up = static_cast<int>(page->lines.size()) < kLogLinesPerEvent;
      if (page->lines.empty()) break;
      after = page->next_seq;
      if (!write(Event("logs", {{"lines", LinesJson(page->lines)}, {"nextSeq", after}}))) return;
      last_write = std::chrono::steady_clock::now();
    }
    if (job->final) {
      write(Event("end", {{"nextSeq", after}}));
      return;
    }
    if (std::chrono::steady_clock::now() - last_write >= kKeepAliveInterval) {
      if (!write(": keep-alive\n\n")) return;
      last_write = std::chrono::steady_clock::now();
    }
    context.notifier.WaitFor(topic, seen, kKeepAliveInterval);
  }
}

absl::StatusOr<http::Response> JobEvents(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(int64_t after, IntQuery(request, "after", 0, 0, INT64_MAX));
  std::string job_id = store::JobId(WorkspaceIdOf(request), request.Param("job"));
  // A job that does not exist is a plain 404 rather than an empty stream.
  RETURN_IF_ERROR(ReadJob(context.database, job_id).status());
  return EventStream([&context, job_id, after](const http::ChunkWriter& write) {
    StreamJob(context, job_id, after, write);
  });
}

// Streams the jobs of a workspace whose record changed after `since`
// (milliseconds), as list items, until the page goes away or the server
// stops.
void StreamWorkspace(ServerContext& context, const std::string& workspace_id, int64_t since,
                     const http::ChunkWriter& write) {
  auto last_write = std::chrono::steady_clock::now();
  while (!context.notifier.shut_down()) {
    absl::StatusOr<std::vector<store::JobRecord>> changed = [&]()
        -> absl::StatusOr<std::vector<store::JobRecord>> {
      ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
      return store::ListJobsUpdatedSince(transaction, workspace_id, since, kJobsPerEvent);
    }();
    if (!changed.ok()) {
      log::Warning("[workspace {}] event stream ended because {}", workspace_id,
                   changed.status().message());
      write(Event("error", {{"message", std::string(changed.status().message())}}));
      return;
    }
    if (!changed->empty()) {
      json items = json::array();
      for (const store::JobRecord& job : *changed) {
        items.push_back(JobJson(job, {}, {}));
        // Jobs changed in the same millisecond as the last one sent may
        // still commit, so the next query starts at that millisecond again
        // and the page ignores versions it already has.
        since = std::max(since, job.updated_at);
      }
      if (!write(Event("jobs", {{"items", std::move(items)}, {"since", since}}))) return;
      last_write = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_write >= kKeepAliveInterval) {
      if (!write(": keep-alive\n\n")) return;
      last_write = std::chrono::steady_clock::now();
    }
    // No writer notifies this topic, so the wait is a sleep that Shutdown() ends.
    context.notifier.WaitFor("web/workspace-poll", context.notifier.Version("web/workspace-poll"),
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 kWorkspacePollInterval));
  }
}

absl::StatusOr<http::Response> WorkspaceJobEvents(ServerContext& context,
                                                  http::Request& request) {
  ASSIGN_OR_RETURN(int64_t since, IntQuery(request, "since", NowMillis(), 0, INT64_MAX));
  std::string workspace_id = WorkspaceIdOf(request);
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
    RETURN_IF_ERROR(store::GetResource(transaction, workspace_id).status());
  }
  return EventStream([&context, workspace_id, since](const http::ChunkWriter& write) {
    StreamWorkspace(context, workspace_id, since, write);
  });
}

}  // namespace

void RegisterJobEventRoutes(http::Router& router, ServerContext& context) {
  const std::string workspace = "/api/v1/resourceGroups/{group}/workspaces/{workspace}";
  router.Add("GET", workspace + "/jobs/{job}/events", Bind(context, JobEvents));
  router.Add("GET", workspace + "/jobEvents", Bind(context, WorkspaceJobEvents));
}

}  // namespace ty::server
