#include "store/tracking_runs.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {
namespace {

// MLflow's SQL store keeps experiment names in a VARCHAR(256) column.
constexpr size_t kMaxExperimentNameLength = 256;

constexpr std::string_view kRunSelect =
    "SELECT r.run_key, r.run_id, r.experiment_id, e.name, r.resource_group, r.workspace, "
    "r.job_id, j.name, r.run_name, r.user_id, r.status, r.status_job_version, r.start_time, "
    "r.end_time, r.created_at, j.status, j.version, j.started_at, j.ended_at, j.created_at "
    "FROM tracking_runs r JOIN tracking_experiments e ON e.experiment_id = r.experiment_id "
    "LEFT JOIN jobs j ON j.id = r.job_id ";

RunStatus StatusOrRunning(const std::string& text) {
  absl::StatusOr<RunStatus> status = ParseRunStatus("status", text);
  return status.ok() ? *status : RunStatus::kRunning;
}

bool IsFinal(RunStatus status) {
  return status == RunStatus::kFinished || status == RunStatus::kFailed ||
         status == RunStatus::kKilled;
}

TrackingRun ReadRun(const Statement& row) {
  TrackingRun run;
  run.key = row.Int(0);
  run.run_id = row.Text(1);
  run.experiment_id = row.Int(2);
  run.experiment_name = row.Text(3);
  run.resource_group = row.Text(4);
  run.workspace = row.Text(5);
  run.job_id = row.Text(6);
  run.job_name = row.Text(7);
  run.run_name = row.Text(8);
  run.user_id = row.Text(9);
  run.created_at = row.Int(14);
  std::optional<std::string> own_status = row.OptionalText(10);
  run.start_time = row.OptionalInt(12);
  run.end_time = row.OptionalInt(13);
  if (run.job_id.empty()) {
    run.status = own_status ? StatusOrRunning(*own_status) : RunStatus::kRunning;
    return run;
  }

  // A job run follows its job, unless runs/update set a status since the
  // job last changed (MLflow's end_run comes before the job itself ends).
  absl::StatusOr<api::JobStatus> job_status = api::ParseJobStatus("status", row.Text(15));
  RunStatus from_job = RunStatusForJob(job_status.ok() ? *job_status : api::JobStatus::kFailed);
  bool override_valid = own_status && row.OptionalInt(11) == row.Int(16);
  run.status = override_valid ? StatusOrRunning(*own_status) : from_job;
  run.start_time = row.OptionalInt(17).value_or(row.Int(19));
  std::optional<int64_t> job_end = row.OptionalInt(18);
  if (!override_valid || !IsFinal(run.status) || !run.end_time) run.end_time = job_end;
  return run;
}

absl::StatusOr<Experiment> ReadExperimentRow(Transaction& transaction, Statement& row) {
  Experiment experiment;
  experiment.id = row.Int(0);
  experiment.name = row.Text(1);
  experiment.artifact_location = row.Text(2);
  experiment.lifecycle_stage = row.Text(3);
  experiment.created_at = row.Int(4);
  experiment.updated_at = row.Int(5);
  ASSIGN_OR_RETURN(Statement tags, transaction.Query("SELECT name, value FROM "
                                                     "tracking_experiment_tags WHERE "
                                                     "experiment_id = ?1 ORDER BY name",
                                                     experiment.id));
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, tags.Step());
    if (!has_row) break;
    experiment.tags.push_back({tags.Text(0), tags.Text(1)});
  }
  return experiment;
}

constexpr std::string_view kExperimentSelect =
    "SELECT experiment_id, name, artifact_location, lifecycle_stage, created_at, updated_at "
    "FROM tracking_experiments ";

absl::StatusOr<int64_t> EnsureExperiment(Transaction& transaction, std::string_view name) {
  ASSIGN_OR_RETURN(Statement found, transaction.Query("SELECT experiment_id FROM "
                                                      "tracking_experiments WHERE name = ?1",
                                                      name));
  ASSIGN_OR_RETURN(bool exists, found.Step());
  if (exists) return found.Int(0);
  return CreateExperiment(transaction, name, "", {});
}

absl::StatusOr<TrackingRun> ReadOneRun(Transaction& transaction, std::string_view where,
                                       std::string_view value) {
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Query(fmt::format("{} WHERE {} = ?1", kRunSelect, where), value));
  ASSIGN_OR_RETURN(bool exists, statement.Step());
  if (!exists) return absl::NotFoundError(fmt::format("run '{}' not found", value));
  return ReadRun(statement);
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "RUNNING";
    case RunStatus::kScheduled:
      return "SCHEDULED";
    case RunStatus::kFinished:
      return "FINISHED";
    case RunStatus::kFailed:
      return "FAILED";
    case RunStatus::kKilled:
      return "KILLED";
  }
  return "RUNNING";
}

absl::StatusOr<RunStatus> ParseRunStatus(std::string_view field, std::string_view text) {
  for (RunStatus status : {RunStatus::kRunning, RunStatus::kScheduled, RunStatus::kFinished,
                           RunStatus::kFailed, RunStatus::kKilled}) {
    if (text == RunStatusName(status)) return status;
  }
  return InvalidField(field, fmt::format("invalid run status '{}': use RUNNING, SCHEDULED, "
                                         "FINISHED, FAILED or KILLED",
                                         text));
}

RunStatus RunStatusForJob(api::JobStatus status) {
  switch (status) {
    case api::JobStatus::kNotStarted:
    case api::JobStatus::kQueued:
      return RunStatus::kScheduled;
    case api::JobStatus::kCompleted:
      return RunStatus::kFinished;
    case api::JobStatus::kFailed:
      return RunStatus::kFailed;
    case api::JobStatus::kCanceled:
      return RunStatus::kKilled;
    default:
      return RunStatus::kRunning;
  }
}

absl::StatusOr<int64_t> CreateExperiment(Transaction& transaction, std::string_view name,
                                         std::string_view artifact_location,
                                         const std::vector<api::TrackingEntry>& tags) {
  if (name.empty() || name.size() > kMaxExperimentNameLength) {
    return InvalidField("name", fmt::format("invalid experiment name '{}': use 1 to {} "
                                            "characters",
                                            name.substr(0, 40), kMaxExperimentNameLength));
  }
  int64_t now = NowMillis();
  absl::Status inserted = transaction.Execute(
      "INSERT INTO tracking_experiments (name, artifact_location, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?3)",
      name, artifact_location, now);
  if (absl::IsAlreadyExists(inserted)) {
    return FieldError(absl::StatusCode::kAlreadyExists, "name",
                      fmt::format("experiment '{}' already exists: use another name", name));
  }
  RETURN_IF_ERROR(inserted);
  int64_t id = transaction.LastInsertRowId();
  for (const api::TrackingEntry& tag : tags) {
    RETURN_IF_ERROR(transaction.Execute(
        "INSERT INTO tracking_experiment_tags (experiment_id, name, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (experiment_id, name) DO UPDATE SET value = excluded.value",
        id, tag.name, tag.value));
  }
  return id;
}

absl::StatusOr<Experiment> GetExperiment(Transaction& transaction, int64_t id) {
  ASSIGN_OR_RETURN(Statement row, transaction.Query(fmt::format("{} WHERE experiment_id = ?1",
                                                                kExperimentSelect),
                                                    id));
  ASSIGN_OR_RETURN(bool exists, row.Step());
  if (!exists) return absl::NotFoundError(fmt::format("experiment '{}' not found", id));
  return ReadExperimentRow(transaction, row);
}

absl::StatusOr<Experiment> GetExperimentByName(Transaction& transaction, std::string_view name) {
  ASSIGN_OR_RETURN(Statement row, transaction.Query(fmt::format("{} WHERE name = ?1",
                                                                kExperimentSelect),
                                                    name));
  ASSIGN_OR_RETURN(bool exists, row.Step());
  if (!exists) return absl::NotFoundError(fmt::format("experiment '{}' not found", name));
  return ReadExperimentRow(transaction, row);
}

absl::StatusOr<std::vector<Experiment>> ListExperiments(Transaction& transaction) {
  std::vector<int64_t> ids;
  {
    ASSIGN_OR_RETURN(Statement rows, transaction.Prepare("SELECT experiment_id FROM "
                                                         "tracking_experiments ORDER BY "
                                                         "experiment_id"));
    while (true) {
      ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) break;
      ids.push_back(rows.Int(0));
    }
  }
  std::vector<Experiment> experiments;
  for (int64_t id : ids) {
    ASSIGN_OR_RETURN(Experiment experiment, GetExperiment(transaction, id));
    experiments.push_back(std::move(experiment));
  }
  return experiments;
}

absl::StatusOr<TrackingRun> EnsureJobRun(Transaction& transaction, const JobRecord& job) {
  absl::StatusOr<TrackingRun> existing = ReadOneRun(transaction, "r.job_id", job.id);
  if (!absl::IsNotFound(existing.status())) return existing;

  std::string_view experiment =
      job.experiment.empty() ? kDefaultExperimentName : std::string_view(job.experiment);
  ASSIGN_OR_RETURN(int64_t experiment_id, EnsureExperiment(transaction, experiment));
  std::string run_id = RandomHex(16);
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO tracking_runs (run_id, experiment_id, resource_group, workspace, job_id, "
      "run_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      run_id, experiment_id, job.resource_group, job.workspace, job.id, job.name, NowMillis()));
  return ReadOneRun(transaction, "r.run_id", run_id);
}

absl::StatusOr<TrackingRun> CreateScriptRun(Transaction& transaction,
                                            const ScriptRunRequest& request) {
  RETURN_IF_ERROR(GetExperiment(transaction, request.experiment_id).status());
  std::string run_id = RandomHex(16);
  int64_t now = NowMillis();
  std::string run_name = request.run_name.empty() ? run_id.substr(0, 8) : request.run_name;
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO tracking_runs (run_id, experiment_id, resource_group, workspace, run_name, "
      "user_id, status, start_time, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'RUNNING', ?8, ?7)",
      run_id, request.experiment_id, request.resource_group, request.workspace, run_name,
      request.user_id, now, request.start_time.value_or(now)));
  int64_t run_key = transaction.LastInsertRowId();
  for (const api::TrackingEntry& tag : request.tags) {
    RETURN_IF_ERROR(transaction.Execute(
        "INSERT INTO tracking_tags (run_key, name, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (run_key, name) DO UPDATE SET value = excluded.value",
        run_key, tag.name, tag.value));
  }
  return ReadOneRun(transaction, "r.run_id", run_id);
}

absl::StatusOr<TrackingRun> GetRunById(Transaction& transaction, std::string_view run_id) {
  return ReadOneRun(transaction, "r.run_id", run_id);
}

absl::StatusOr<TrackingRun> GetRunForJob(Transaction& transaction, std::string_view job_id) {
  absl::StatusOr<TrackingRun> existing = ReadOneRun(transaction, "r.job_id", job_id);
  if (!absl::IsNotFound(existing.status())) return existing;
  ASSIGN_OR_RETURN(JobRecord job, GetJob(transaction, job_id));
  return EnsureJobRun(transaction, job);
}

absl::StatusOr<TrackingRun> UpdateRun(Transaction& transaction, const TrackingRun& run,
                                      const RunUpdate& update) {
  std::optional<std::string> status;
  if (update.status) status = std::string(RunStatusName(*update.status));
  RETURN_IF_ERROR(transaction.Execute(
      "UPDATE tracking_runs SET status = COALESCE(?2, status), "
      "status_job_version = CASE WHEN ?2 IS NULL THEN status_job_version ELSE "
      "(SELECT version FROM jobs WHERE jobs.id = tracking_runs.job_id) END, "
      "end_time = COALESCE(?3, end_time), run_name = COALESCE(?4, run_name) WHERE run_key = ?1",
      run.key, status, update.end_time, update.run_name));
  return ReadOneRun(transaction, "r.run_id", run.run_id);
}

absl::StatusOr<std::vector<TrackingRun>> ListRuns(Transaction& transaction,
                                                  const RunQuery& query) {
  std::string where = "WHERE 1";
  if (!query.resource_group.empty()) where += " AND r.resource_group = ?1 AND r.workspace = ?2";
  if (!query.experiment_ids.empty()) {
    where += " AND r.experiment_id IN (";
    for (size_t i = 0; i < query.experiment_ids.size(); ++i) {
      where += fmt::format("{}?{}", i == 0 ? "" : ", ", i + 3);
    }
    where += ")";
  }
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Prepare(fmt::format("{} {} ORDER BY r.run_key DESC", kRunSelect,
                                                   where)));
  if (!query.resource_group.empty()) statement.Bind(1, query.resource_group).Bind(2, query.workspace);
  for (size_t i = 0; i < query.experiment_ids.size(); ++i) {
    statement.Bind(static_cast<int>(i + 3), query.experiment_ids[i]);
  }
  std::vector<TrackingRun> runs;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, statement.Step());
    if (!has_row) break;
    runs.push_back(ReadRun(statement));
  }
  return runs;
}

}  // namespace ty::store
