#pragma once

// Job records: the job row, its status history and one row per node (rank).
// Running jobs belongs to the scheduler and the relay; they change records
// only through the functions here, which keep each change in one
// transaction and notify waiters after committing.
//
// Status rules come from api/job_status.h: statuses move forward only, a
// terminal status is final, and a repeated report changes nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "api/job_status.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/notifier.h"
#include "store/resources.h"

namespace ty::store {

inline constexpr std::string_view kJobs = "jobs";

struct JobRecord {
  std::string id;  // "/resourceGroups/rg/workspaces/ws/jobs/name"
  std::string workspace_id;
  std::string resource_group;
  std::string workspace;
  std::string name;
  std::string compute;
  std::string cluster_id;  // the compute's cluster at submit time
  std::string experiment;
  std::string display_name;
  api::JobStatus status = api::JobStatus::kQueued;
  std::string status_message;
  nlohmann::json spec = nlohmann::json::object();  // api::JobSpecToJson of the submitted spec
  std::string code_snapshot;                       // "sha256:<hex>" or empty
  int64_t created_at = 0;
  std::optional<int64_t> started_at;
  std::optional<int64_t> ended_at;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
  std::string error;
  int64_t version = 0;
  int64_t updated_at = 0;
};

struct JobHistoryEntry {
  api::JobStatus status;
  int64_t time = 0;
  std::string message;
  std::optional<int64_t> rank;  // set for a node's own status
};

struct JobNode {
  int64_t rank = 0;
  std::string node;
  api::JobStatus status = api::JobStatus::kQueued;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
};

// The migrations that create the job tables.
std::vector<Migration> JobMigrations();

// "<workspace_id>/jobs/<name>".
std::string JobId(std::string_view workspace_id, std::string_view name);

// Inserts `job` (id, timestamps and version are filled in) with a first
// history entry for its status. Errors: kAlreadyExists (field "name") when
// the workspace has a job of that name; kFailedPrecondition when the
// workspace is gone.
absl::Status InsertJob(Transaction& transaction, JobRecord& job);

// Returns the job, or kNotFound.
absl::StatusOr<JobRecord> GetJob(Transaction& transaction, std::string_view job_id);

absl::StatusOr<std::vector<JobHistoryEntry>> JobHistory(Transaction& transaction,
                                                        std::string_view job_id);
absl::StatusOr<std::vector<JobNode>> JobNodes(Transaction& transaction, std::string_view job_id);

struct JobFilter {
  std::optional<api::JobStatus> status;
  std::string experiment;  // empty: any
  std::string compute;     // empty: any
  std::string tag_name;    // a tag of the job spec; empty: any
  std::optional<std::string> tag_value;  // with `tag_name`; unset: any value
  bool oldest_first = false;
};

struct JobPage {
  std::vector<JobRecord> items;
  std::string next_page_token;
};

// Lists the workspace's jobs, newest first or, with `oldest_first`, oldest
// first. Each filter in use is served by an index (see JobListMigration), so
// a page costs about the same with 100 jobs as with 100,000. Errors:
// kInvalidArgument (field "pageToken") for a token this list did not issue.
absl::StatusOr<JobPage> ListJobs(Transaction& transaction, std::string_view workspace_id,
                                 const JobFilter& filter, const PageRequest& page);

// The SQL that ListJobs runs for `filter`, with parameters ?1 workspace,
// ?2 page key, ?3 status, ?4 experiment, ?5 compute, ?6 tag name, ?7 tag
// value and ?8 limit. Exposed so a test can check its query plan.
std::string ListJobsSql(const JobFilter& filter);

// Returns up to `limit` jobs of the workspace whose record changed at or
// after `since_millis`, in the order of their change.
absl::StatusOr<std::vector<JobRecord>> ListJobsUpdatedSince(Transaction& transaction,
                                                            std::string_view workspace_id,
                                                            int64_t since_millis, int limit);

// Returns up to `limit` jobs in Queued, oldest first, for the scheduler.
absl::StatusOr<std::vector<JobRecord>> ListQueuedJobs(Database& database, int limit = 100);

// Cancels the job: Queued (or NotStarted) becomes Canceled at once, a job
// further along becomes CancelRequested for its agent to stop, and a final or
// already cancelling job is left as it is. Returns the job afterwards.
// Notifies kQueuedJobsTopic and the job's cluster topic on a change. Because
// a Queued job is canceled without its agent, the scheduler must move a job
// out of Queued in the same transaction that assigns it to an agent.
// Errors: kNotFound.
absl::StatusOr<JobRecord> CancelJob(Database& database, Notifier& notifier,
                                    std::string_view job_id, int64_t time_millis);

struct JobStatusUpdate {
  std::string job_id;
  api::JobStatus status = api::JobStatus::kRunning;
  std::string message;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
  int64_t time_millis = 0;
  std::optional<int64_t> rank;  // set: the status of that node only
  std::string node;             // the node's host name, with `rank`
};

// Applies a status report. Without a rank it moves the job; with a rank it
// moves that node's row (created on its first report). The move happens and
// a history entry is appended only when api::IsTransitionAllowed permits
// it, so duplicates and late reports are harmless. A job reaching Running
// gets startedAt, a terminal status endedAt, exit code and signal; a
// Failed job's message becomes its error. Returns whether anything changed
// and notifies the job's topic when it did. Errors: kNotFound.
absl::StatusOr<bool> AppendJobStatus(Database& database, Notifier& notifier,
                                     const JobStatusUpdate& update);

// As above, inside the caller's write transaction, which lets the scheduler
// move a job out of Queued in the same commit that records its assignment.
// The caller notifies the job's topic after committing.
absl::StatusOr<bool> AppendJobStatus(Transaction& transaction, const JobStatusUpdate& update);

// Sets the status message of a job without changing its status, for example
// what a queued job waits for. Errors: kNotFound.
absl::Status SetJobStatusMessage(Database& database, std::string_view job_id,
                                 std::string_view message);

}  // namespace ty::store
