#pragma once

// Tracking runs and MLflow experiments. Every job has one run, created by
// EnsureJobRun; a script that calls MLflow's runs/create outside Trainyard
// gets a tracking-only run without a job (CreateScriptRun). Runs are
// addressed by a 32-character hex run id, which is also the MLflow run id.
//
// Experiment names are global to the server, as on an MLflow server:
// experiment 0, "Default", always exists, and a job belongs to the
// experiment named by its spec's experiment_name (Default when empty).
//
// Every function runs inside the caller's Transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/job_status.h"
#include "api/tracking.h"
#include "store/database.h"
#include "store/jobs.h"
#include "store/migrations.h"

namespace ty::store {

inline constexpr int64_t kDefaultExperimentId = 0;
inline constexpr std::string_view kDefaultExperimentName = "Default";

// MLflow's run statuses.
enum class RunStatus { kRunning, kScheduled, kFinished, kFailed, kKilled };

// "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED".
std::string_view RunStatusName(RunStatus status);

// Parses the names above. Errors: kInvalidArgument with field `field`.
absl::StatusOr<RunStatus> ParseRunStatus(std::string_view field, std::string_view text);

// The MLflow status of a job in `status`: NotStarted and Queued are
// SCHEDULED, Completed FINISHED, Failed FAILED, Canceled KILLED, the rest
// RUNNING.
RunStatus RunStatusForJob(api::JobStatus status);

struct Experiment {
  int64_t id = 0;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage = "active";
  int64_t created_at = 0;  // milliseconds since the epoch
  int64_t updated_at = 0;
  std::vector<api::TrackingEntry> tags;
};

struct TrackingRun {
  int64_t key = 0;      // the row key that metric, param and tag rows refer to
  std::string run_id;   // 32 hex digits
  int64_t experiment_id = 0;
  std::string experiment_name;
  std::string resource_group;
  std::string workspace;
  std::string job_id;    // "/resourceGroups/rg/workspaces/ws/jobs/j"; empty without a job
  std::string job_name;  // empty without a job
  std::string run_name;
  std::string user_id;
  RunStatus status = RunStatus::kRunning;
  std::optional<int64_t> start_time;
  std::optional<int64_t> end_time;
  int64_t created_at = 0;
};

// The migrations of the tracking tables. They refer to the jobs table, so
// they come after JobMigrations().
std::vector<Migration> TrackingMigrations();

// Creates an experiment. Errors: kInvalidArgument (field "name") for an
// empty name or one over 500 characters; kAlreadyExists (field "name") when
// the name is taken.
absl::StatusOr<int64_t> CreateExperiment(Transaction& transaction, std::string_view name,
                                         std::string_view artifact_location,
                                         const std::vector<api::TrackingEntry>& tags);

// Returns the experiment. Errors: kNotFound naming the id.
absl::StatusOr<Experiment> GetExperiment(Transaction& transaction, int64_t id);

// Returns the experiment named `name`. Errors: kNotFound naming it.
absl::StatusOr<Experiment> GetExperimentByName(Transaction& transaction, std::string_view name);

// Returns every experiment, by id.
absl::StatusOr<std::vector<Experiment>> ListExperiments(Transaction& transaction);

// Returns the run of `job`, creating it (and its experiment) on first use.
absl::StatusOr<TrackingRun> EnsureJobRun(Transaction& transaction, const JobRecord& job);

struct ScriptRunRequest {
  int64_t experiment_id = kDefaultExperimentId;
  std::string resource_group;  // the server's default workspace
  std::string workspace;
  std::string run_name;        // empty: the run id's first 8 digits
  std::string user_id;
  std::optional<int64_t> start_time;  // empty: now
  std::vector<api::TrackingEntry> tags;
};

// Creates a tracking-only run in RUNNING. Errors: kNotFound for an unknown
// experiment; tag errors as in LogBatch.
absl::StatusOr<TrackingRun> CreateScriptRun(Transaction& transaction,
                                            const ScriptRunRequest& request);

// Returns the run. Errors: kNotFound quoting the id.
absl::StatusOr<TrackingRun> GetRunById(Transaction& transaction, std::string_view run_id);

// Returns the run of the job with id `job_id`, creating it when the job
// exists but has none yet. Errors: kNotFound when the job does not exist.
absl::StatusOr<TrackingRun> GetRunForJob(Transaction& transaction, std::string_view job_id);

struct RunUpdate {
  std::optional<RunStatus> status;
  std::optional<int64_t> end_time;
  std::optional<std::string> run_name;
};

// Applies MLflow's runs/update. A job run keeps the status set here until
// the job's next change. Returns the run afterwards. Errors: kNotFound.
absl::StatusOr<TrackingRun> UpdateRun(Transaction& transaction, const TrackingRun& run,
                                      const RunUpdate& update);

struct RunQuery {
  std::vector<int64_t> experiment_ids;  // empty: any experiment
  std::string resource_group;           // empty: any workspace
  std::string workspace;
};

// Returns the runs that match `query`, newest first.
absl::StatusOr<std::vector<TrackingRun>> ListRuns(Transaction& transaction,
                                                  const RunQuery& query);

}  // namespace ty::store
