#include "store/jobs.h"

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {
namespace {

constexpr std::string_view kJobColumns =
    "id, workspace_id, resource_group, workspace, name, compute, cluster_id, experiment, "
    "display_name, status, status_message, spec, code_snapshot, created_at, started_at, "
    "ended_at, exit_code, signal, error, version, updated_at, key";

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

api::JobStatus StatusOrFailed(const std::string& text) {
  absl::StatusOr<api::JobStatus> status = api::ParseJobStatus("status", text);
  return status.ok() ? *status : api::JobStatus::kFailed;
}

JobRecord ReadJob(const Statement& row) {
  JobRecord job;
  job.id = row.Text(0);
  job.workspace_id = row.Text(1);
  job.resource_group = row.Text(2);
  job.workspace = row.Text(3);
  job.name = row.Text(4);
  job.compute = row.Text(5);
  job.cluster_id = row.Text(6);
  job.experiment = row.Text(7);
  job.display_name = row.Text(8);
  job.status = StatusOrFailed(row.Text(9));
  job.status_message = row.Text(10);
  nlohmann::json spec = nlohmann::json::parse(row.Text(11), nullptr, false);
  job.spec = spec.is_discarded() ? nlohmann::json::object() : spec;
  job.code_snapshot = row.Text(12);
  job.created_at = row.Int(13);
  job.started_at = row.OptionalInt(14);
  job.ended_at = row.OptionalInt(15);
  job.exit_code = row.OptionalInt(16);
  job.signal = row.OptionalInt(17);
  job.error = row.Text(18);
  job.version = row.Int(19);
  job.updated_at = row.Int(20);
  return job;
}

// Reads every remaining row of `row` as a job.
absl::StatusOr<std::vector<JobRecord>> ReadJobs(Statement& row) {
  std::vector<JobRecord> jobs;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    jobs.push_back(ReadJob(row));
  }
  return jobs;
}

absl::Status AppendHistory(Transaction& transaction, std::string_view job_id,
                           api::JobStatus status, int64_t time, std::string_view message,
                           std::optional<int64_t> rank) {
  return transaction.Execute(
      "INSERT INTO job_history (job_id, status, time, message, rank) VALUES (?1, ?2, ?3, ?4, ?5)",
      job_id, api::JobStatusName(status), time, message, rank);
}

// Moves the job row to `update.status` if allowed. REQUIRES: open write
// transaction.
absl::StatusOr<bool> MoveJob(Transaction& transaction, const JobRecord& job,
                             const JobStatusUpdate& update) {
  if (!api::IsTransitionAllowed(job.status, update.status)) return false;

  std::optional<int64_t> started = job.started_at;
  if (!started && update.status == api::JobStatus::kRunning) started = update.time_millis;
  bool terminal = api::IsTerminal(update.status);
  std::optional<int64_t> ended = terminal ? std::optional<int64_t>(update.time_millis) : std::nullopt;
  std::string error = job.error;
  if (update.status == api::JobStatus::kFailed && !update.message.empty()) error = update.message;

  RETURN_IF_ERROR(transaction.Execute(
      "UPDATE jobs SET status = ?2, status_message = ?3, started_at = ?4, ended_at = ?5, "
      "exit_code = COALESCE(?6, exit_code), signal = COALESCE(?7, signal), error = ?8, "
      "version = version + 1, updated_at = ?9 WHERE id = ?1",
      job.id, api::JobStatusName(update.status), update.message, started, ended,
      update.exit_code, update.signal, error, NowMillis()));
  RETURN_IF_ERROR(
      AppendHistory(transaction, job.id, update.status, update.time_millis, update.message, {}));
  return true;
}

// Moves one node's row to `update.status` if allowed, creating it on the
// node's first report. REQUIRES: open write transaction.
absl::StatusOr<bool> MoveNode(Transaction& transaction, const JobStatusUpdate& update) {
  ASSIGN_OR_RETURN(Statement current,
                   transaction.Query("SELECT status FROM job_nodes WHERE job_id = ?1 AND rank = ?2",
                                     update.job_id, *update.rank));
  ASSIGN_OR_RETURN(bool exists, current.Step());
  if (exists && !api::IsTransitionAllowed(StatusOrFailed(current.Text(0)), update.status)) {
    return false;
  }
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO job_nodes (job_id, rank, node, status, exit_code, signal, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (job_id, rank) DO UPDATE SET "
      "node = CASE WHEN excluded.node = '' THEN node ELSE excluded.node END, "
      "status = excluded.status, exit_code = COALESCE(excluded.exit_code, exit_code), "
      "signal = COALESCE(excluded.signal, signal), updated_at = excluded.updated_at",
      update.job_id, *update.rank, update.node, api::JobStatusName(update.status),
      update.exit_code, update.signal, update.time_millis));
  RETURN_IF_ERROR(AppendHistory(transaction, update.job_id, update.status, update.time_millis,
                                update.message, update.rank));
  return true;
}

}  // namespace

// Indexes for the filters of the jobs list and for the web page's change
// feed, and the tags of each job's spec in a table of their own so that
// filtering by tag does not parse every spec. A trigger fills job_tags, so
// InsertJob needs no change; the last statement fills it for older jobs.
static Migration JobListMigration() {
  return {"jobs_0002_list_indexes", R"sql(
CREATE INDEX jobs_by_workspace_status ON jobs(workspace_id, status, key);
CREATE INDEX jobs_by_workspace_experiment ON jobs(workspace_id, experiment, key);
CREATE INDEX jobs_by_workspace_compute ON jobs(workspace_id, compute, key);
CREATE INDEX jobs_by_workspace_updated ON jobs(workspace_id, updated_at);
CREATE TABLE job_tags (
  job_key INTEGER NOT NULL REFERENCES jobs(key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, value, job_key)
) WITHOUT ROWID;
CREATE INDEX job_tags_by_job ON job_tags(job_key);
CREATE TRIGGER job_tags_on_insert AFTER INSERT ON jobs BEGIN
  INSERT OR IGNORE INTO job_tags (job_key, name, value)
    SELECT NEW.key, tag.key, tag.value FROM json_each(NEW.spec, '$.tags') AS tag
    WHERE tag.type = 'text';
END;
INSERT OR IGNORE INTO job_tags (job_key, name, value)
  SELECT jobs.key, tag.key, tag.value FROM jobs, json_each(jobs.spec, '$.tags') AS tag
  WHERE tag.type = 'text';
)sql"};
}

std::vector<Migration> JobMigrations() {
  return {{"jobs_0001_create", R"sql(
CREATE TABLE jobs (
  key INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  resource_group TEXT NOT NULL,
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  compute TEXT NOT NULL,
  cluster_id TEXT NOT NULL,
  experiment TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  code_snapshot TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exit_code INTEGER,
  signal INTEGER,
  error TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_by_workspace ON jobs(workspace_id, key);
CREATE INDEX jobs_by_status ON jobs(status, key);
CREATE TABLE job_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  time INTEGER NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  rank INTEGER
);
CREATE INDEX job_history_by_job ON job_history(job_id, seq);
CREATE TABLE job_nodes (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  rank INTEGER NOT NULL,
  node TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  exit_code INTEGER,
  signal INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, rank)
);
)sql"},
          JobListMigration()};
}

std::string JobId(std::string_view workspace_id, std::string_view name) {
  return ChildId(workspace_id, kJobs, name);
}

absl::Status InsertJob(Transaction& transaction, JobRecord& job) {
  job.id = JobId(job.workspace_id, job.name);
  job.created_at = NowMillis();
  job.updated_at = job.created_at;
  job.version = 1;
  absl::Status status = transaction.Execute(
      "INSERT INTO jobs (id, workspace_id, resource_group, workspace, name, compute, cluster_id, "
      "experiment, display_name, status, status_message, spec, code_snapshot, created_at, "
      "version, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?14, ?15, ?16)",
      job.id, job.workspace_id, job.resource_group, job.workspace, job.name, job.compute,
      job.cluster_id, job.experiment, job.display_name, api::JobStatusName(job.status),
      job.status_message, Dump(job.spec), job.code_snapshot, job.created_at, job.version,
      job.updated_at);
  if (absl::IsAlreadyExists(status)) {
    return FieldError(absl::StatusCode::kAlreadyExists, "name",
                      fmt::format("job '{}' already exists in workspace '{}'; choose another "
                                  "name or leave the name out to get a generated one",
                                  job.name, job.workspace));
  }
  if (absl::IsFailedPrecondition(status)) {
    return absl::FailedPreconditionError(DescribeResource(job.workspace_id) + " not found");
  }
  RETURN_IF_ERROR(status);
  return AppendHistory(transaction, job.id, job.status, job.created_at, job.status_message, {});
}

absl::StatusOr<JobRecord> GetJob(Transaction& transaction, std::string_view job_id) {
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query(fmt::format("SELECT {} FROM jobs WHERE id = ?1", kJobColumns),
                                     job_id));
  ASSIGN_OR_RETURN(bool found, row.Step());
  if (!found) return absl::NotFoundError(DescribeResource(job_id) + " not found");
  return ReadJob(row);
}

absl::StatusOr<std::vector<JobHistoryEntry>> JobHistory(Transaction& transaction,
                                                        std::string_view job_id) {
  ASSIGN_OR_RETURN(Statement row, transaction.Query("SELECT status, time, message, rank FROM "
                                                    "job_history WHERE job_id = ?1 ORDER BY seq",
                                                    job_id));
  std::vector<JobHistoryEntry> entries;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    entries.push_back({StatusOrFailed(row.Text(0)), row.Int(1), row.Text(2), row.OptionalInt(3)});
  }
  return entries;
}

absl::StatusOr<std::vector<JobNode>> JobNodes(Transaction& transaction, std::string_view job_id) {
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query("SELECT rank, node, status, exit_code, signal FROM job_nodes "
                                     "WHERE job_id = ?1 ORDER BY rank",
                                     job_id));
  std::vector<JobNode> nodes;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    nodes.push_back({row.Int(0), row.Text(1), StatusOrFailed(row.Text(2)), row.OptionalInt(3),
                     row.OptionalInt(4)});
  }
  return nodes;
}

std::string ListJobsSql(const JobFilter& filter) {
  // Only the filters in use appear in the statement: a condition such as
  // "(?3 IS NULL OR status = ?3)" would keep SQLite from using the index of
  // that column.
  std::string sql = fmt::format("SELECT {} FROM jobs WHERE workspace_id = ?1 AND key {} ?2",
                                kJobColumns, filter.oldest_first ? ">" : "<");
  if (filter.status) sql += " AND status = ?3";
  if (!filter.experiment.empty()) sql += " AND experiment = ?4";
  if (!filter.compute.empty()) sql += " AND compute = ?5";
  if (!filter.tag_name.empty()) {
    sql += filter.tag_value
               ? " AND key IN (SELECT job_key FROM job_tags WHERE name = ?6 AND value = ?7)"
               : " AND key IN (SELECT job_key FROM job_tags WHERE name = ?6 AND ?7 IS NULL)";
  }
  sql += fmt::format(" ORDER BY key {} LIMIT ?8", filter.oldest_first ? "ASC" : "DESC");
  return sql;
}

absl::StatusOr<JobPage> ListJobs(Transaction& transaction, std::string_view workspace_id,
                                 const JobFilter& filter, const PageRequest& page) {
  int64_t boundary = filter.oldest_first ? 0 : INT64_MAX;
  if (!page.page_token.empty()) {
    ASSIGN_OR_RETURN(std::string key, DecodePageToken(kJobs, page.page_token));
    if (!absl::SimpleAtoi(key, &boundary)) {
      return InvalidField("pageToken", "invalid page token; pass the nextPageToken of the "
                                       "previous page of this list");
    }
  }
  std::optional<std::string> status;
  if (filter.status) status = std::string(api::JobStatusName(*filter.status));

  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query(ListJobsSql(filter), workspace_id, boundary, status,
                                     filter.experiment, filter.compute, filter.tag_name,
                                     filter.tag_value, page.page_size + 1));
  JobPage result;
  int64_t last_key = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    if (static_cast<int>(result.items.size()) == page.page_size) {
      result.next_page_token = EncodePageToken(kJobs, std::to_string(last_key));
      break;
    }
    result.items.push_back(ReadJob(row));
    last_key = row.Int(21);
  }
  return result;
}

absl::StatusOr<std::vector<JobRecord>> ListJobsUpdatedSince(Transaction& transaction,
                                                            std::string_view workspace_id,
                                                            int64_t since_millis, int limit) {
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query(fmt::format("SELECT {} FROM jobs WHERE workspace_id = ?1 "
                                                 "AND updated_at >= ?2 ORDER BY updated_at "
                                                 "LIMIT ?3",
                                                 kJobColumns),
                                     workspace_id, since_millis, limit));
  return ReadJobs(row);
}

absl::StatusOr<std::vector<JobRecord>> ListQueuedJobs(Database& database, int limit) {
  ASSIGN_OR_RETURN(Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query(fmt::format("SELECT {} FROM jobs WHERE status = 'Queued' "
                                                 "ORDER BY key LIMIT ?1",
                                                 kJobColumns),
                                     limit));
  return ReadJobs(row);
}

absl::StatusOr<JobRecord> CancelJob(Database& database, Notifier& notifier,
                                    std::string_view job_id, int64_t time_millis) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  ASSIGN_OR_RETURN(JobRecord job, GetJob(transaction, job_id));

  JobStatusUpdate update;
  update.job_id = job.id;
  update.time_millis = time_millis;
  if (job.status == api::JobStatus::kQueued || job.status == api::JobStatus::kNotStarted) {
    update.status = api::JobStatus::kCanceled;
    update.message = "canceled before it started";
  } else {
    update.status = api::JobStatus::kCancelRequested;
    update.message = "cancel requested; waiting for the agent to stop the job";
  }
  ASSIGN_OR_RETURN(bool changed, MoveJob(transaction, job, update));
  if (!changed) return job;
  ASSIGN_OR_RETURN(JobRecord updated, GetJob(transaction, job_id));
  RETURN_IF_ERROR(transaction.Commit());

  notifier.Notify(kQueuedJobsTopic);
  notifier.Notify(JobTopic(job.id));
  if (!job.cluster_id.empty()) notifier.Notify(ClusterTopic(job.cluster_id));
  return updated;
}

absl::StatusOr<bool> AppendJobStatus(Transaction& transaction, const JobStatusUpdate& update) {
  ASSIGN_OR_RETURN(JobRecord job, GetJob(transaction, update.job_id));
  if (update.rank) return MoveNode(transaction, update);
  return MoveJob(transaction, job, update);
}

absl::StatusOr<bool> AppendJobStatus(Database& database, Notifier& notifier,
                                     const JobStatusUpdate& update) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  ASSIGN_OR_RETURN(bool changed, AppendJobStatus(transaction, update));
  if (!changed) return false;
  RETURN_IF_ERROR(transaction.Commit());
  notifier.Notify(JobTopic(update.job_id));
  return true;
}

absl::Status SetJobStatusMessage(Database& database, std::string_view job_id,
                                 std::string_view message) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  RETURN_IF_ERROR(GetJob(transaction, job_id).status());
  RETURN_IF_ERROR(transaction.Execute(
      "UPDATE jobs SET status_message = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
      job_id, message, NowMillis()));
  return transaction.Commit();
}

}  // namespace ty::store
