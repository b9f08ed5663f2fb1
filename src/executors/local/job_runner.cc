#include "executors/local/job_runner.h"

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "executors/local/file_util.h"
#include "executors/local/input_staging.h"
#include "executors/local/process_group.h"

extern char** environ;

namespace ty::executors::local {

JobRunner::JobRunner(JobRunnerOptions options, agent::ExecutorListener& listener, JobPaths paths,
                     JobRecord record, FinishedCallback on_finished)
    : options_(std::move(options)),
      listener_(listener),
      paths_(std::move(paths)),
      on_finished_(std::move(on_finished)),
      job_id_(record.spec.job_id),
      record_(std::move(record)) {}

JobRunner::~JobRunner() { StopWatching(); }

void JobRunner::Start() { thread_ = std::thread([this] { Run(); }); }

void JobRunner::Cancel(const std::string& reason) {
  std::lock_guard lock(mu_);
  if (cancel_requested_) return;
  cancel_requested_ = true;
  cancel_reason_ = reason.empty() ? "canceled" : reason;
  watcher_.Wake();
}

void JobRunner::StopWatching() {
  {
    std::lock_guard lock(mu_);
    stop_watching_ = true;
    watcher_.Wake();
  }
  if (thread_.joinable()) thread_.join();
}

agent::JobState JobRunner::State() const {
  std::lock_guard lock(mu_);
  return {job_id_, record_.status, record_.exit_code, record_.signal};
}

bool JobRunner::Finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

JobRecord JobRunner::Snapshot() const {
  std::lock_guard lock(mu_);
  return record_;
}

bool JobRunner::CancelRequested(std::string* reason) const {
  std::lock_guard lock(mu_);
  if (reason != nullptr) *reason = cancel_reason_;
  return cancel_requested_;
}

void JobRunner::Persist() {
  // No fsync: a machine crash ends the job's processes, and each rank's
  // status.json, which is flushed, still records their real outcome.
  absl::Status saved = WriteFileAtomic(paths_.state_file, EncodeJobRecord(Snapshot()));
  if (!saved.ok()) {
    ty::log::Warning("[job {}] state not saved, so a restarted agent may report it again, "
                     "because {}",
                     job_id_, saved.message());
  }
}

void JobRunner::Report(const std::string& status, const std::string& message,
                       std::optional<int> exit_code, std::optional<int> signal) {
  std::string previous;
  {
    std::lock_guard lock(mu_);
    previous = record_.status;
    record_.status = status;
  }
  ty::log::Info("[job {}] {} -> {}{}", job_id_, previous, status,
                message.empty() ? "" : " because " + message);

  // The listener hears of the transition before state.json records it: a
  // crash in between makes a restarted agent report it again, never skip it.
  listener_.OnStatus({.job_id = job_id_,
                      .status = status,
                      .exit_code = exit_code,
                      .signal = signal,
                      .message = message,
                      .time_ms = NowMillis()});
  Persist();
}

void JobRunner::ReportRank(size_t index, const RankOutcome& outcome) {
  Rank& rank = ranks_[index];
  {
    std::lock_guard lock(mu_);
    RankRecord& record = record_.ranks[index];
    record.status = outcome.status;
    record.exit_code = outcome.exit_code;
    record.signal = outcome.signal;
    record.message = outcome.message;
  }
  listener_.OnStatus({.job_id = job_id_,
                      .status = outcome.status,
                      .rank = rank.plan.rank,
                      .node = fmt::format("{}/{}", options_.host_name, rank.plan.node_rank),
                      .exit_code = outcome.exit_code,
                      .signal = outcome.signal,
                      .message = outcome.message,
                      .time_ms = NowMillis()});
  Persist();
}

void JobRunner::Run() {
  std::string status = Snapshot().status;
  if (status == "Queued" || status == "Preparing") {
    if (!Prepare()) return;
    StartRanks();
  } else if (status == "Starting" || status == "Running") {
    AttachRanks();
  }
  if (status != "Finalizing") {
    if (!Supervise()) return;
    DecideOutcome();
  }
  Finalize();
}

bool JobRunner::Prepare() {
  Report("Preparing");
  JobRecord record = Snapshot();
  const agent::LaunchSpec& spec = record.spec;

  auto prepared = [&]() -> absl::StatusOr<std::vector<RankPlan>> {
    RETURN_IF_ERROR(CreateJobLayout(paths_, spec.outputs, WorldSize(spec)));
    if (!spec.code_archive.empty()) {
      RETURN_IF_ERROR(ExtractCodeArchive(spec.code_archive, paths_.code_dir));
    }
    std::map<std::string, std::string> output_dirs;
    for (const std::string& name : spec.outputs) output_dirs[name] = paths_.OutputDir(name);
    ASSIGN_OR_RETURN(auto inputs, StageInputs(spec.inputs, paths_.job_dir + "/inputs"));
    ASSIGN_OR_RETURN(std::string command, SubstituteCommand(spec.command, inputs, output_dirs));
    std::map<std::string, std::string> base = BuildJobEnvironment(spec, paths_.outputs_dir, environ);
    ASSIGN_OR_RETURN(std::vector<RankPlan> plans,
                     PlanRanks(spec, record.reservation.gpus_per_node, options_.host_has_gpus,
                               options_.pick_ports));

    if (spec.distribution == "mpi") {
      std::string mpirun = FindOnPath("mpirun", base["PATH"]);
      if (mpirun.empty()) {
        return absl::FailedPreconditionError(fmt::format(
            "distribution 'mpi' needs 'mpirun', which is not on PATH '{}'; install Open MPI "
            "(Debian package openmpi-bin) on the agent's host",
            base["PATH"]));
      }
      RETURN_IF_ERROR(WriteFileAtomic(paths_.hostfile, MpiHostfile(spec)));
      command = MpiLauncherCommand(spec, mpirun, paths_.hostfile, command);
    }

    for (const RankPlan& plan : plans) {
      ShimLaunch launch{.command = command,
                        .working_dir = paths_.code_dir,
                        .environment = base,
                        .grace_ms = options_.grace_period.count()};
      for (const auto& [name, value] : plan.environment) launch.environment[name] = value;
      RETURN_IF_ERROR(WriteFileAtomic(paths_.RankDir(plan.rank) + "/" + kLaunchFile,
                                      EncodeShimLaunch(launch)));
    }
    return plans;
  }();

  if (!prepared.ok()) {
    FinishEarly("Failed", std::string(prepared.status().message()));
    return false;
  }
  std::string reason;
  if (CancelRequested(&reason)) {
    FinishEarly("Canceled", reason);
    return false;
  }

  {
    std::lock_guard lock(mu_);
    for (const RankPlan& plan : *prepared) {
      record_.ranks.push_back({.rank = plan.rank,
                               .node_rank = plan.node_rank,
                               .local_rank = plan.local_rank});
    }
  }
  for (RankPlan& plan : *prepared) {
    Rank rank;
    rank.dir = paths_.RankDir(plan.rank);
    rank.tailer = std::make_unique<RankLogTailer>(job_id_, plan.rank, rank.dir);
    rank.plan = std::move(plan);
    ranks_.push_back(std::move(rank));
  }
  return true;
}

void JobRunner::StartRanks() {
  {
    std::lock_guard lock(mu_);
    record_.started_ms = NowMillis();
  }
  Report("Starting");

  // A cancel that arrives while ranks start leaves the rest unstarted; the
  // supervision loop then stops those already running.
  bool all_started = true;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    Rank& rank = ranks_[i];
    std::string reason;
    if (CancelRequested(&reason)) {
      rank.ended = true;
      rank.reported = true;
      ReportRank(i, {.status = "Canceled", .message = "not started because the job was canceled"});
      all_started = false;
      continue;
    }
    auto shim = SpawnShim(options_.shim_path, rank.dir);
    if (!shim.ok()) {
      ty::log::Error("[job {}] rank {} not started because {}", job_id_, rank.plan.rank,
                     shim.status().message());
      rank.ended = true;
      rank.status.error = std::string(shim.status().message());
      rank.status.finished_ms = NowMillis();
      all_started = false;
      continue;
    }
    rank.shim_pid = *shim;
    {
      std::lock_guard lock(mu_);
      record_.ranks[i].shim_pid = *shim;
    }
    ReportRank(i, {.status = "Running"});
  }
  if (all_started) Report("Running");
}

void JobRunner::AttachRanks() {
  JobRecord record = Snapshot();
  for (const RankRecord& saved : record.ranks) {
    Rank rank;
    rank.plan.rank = saved.rank;
    rank.plan.node_rank = saved.node_rank;
    rank.plan.local_rank = saved.local_rank;
    rank.dir = paths_.RankDir(saved.rank);
    rank.tailer = std::make_unique<RankLogTailer>(job_id_, saved.rank, rank.dir);
    if (absl::Status loaded = rank.tailer->LoadOffsets(); !loaded.ok()) {
      ty::log::Warning("[job {}] rank {} output is sent again from the start because {}",
                       job_id_, saved.rank, loaded.message());
    }
    if (IsTerminalStatus(saved.status)) {
      rank.ended = true;
      rank.reported = true;
      ranks_.push_back(std::move(rank));
      continue;
    }
    rank.shim_pid = saved.shim_pid;
    auto shim_pid = ReadPidFile(rank.dir + "/" + kShimPidFile);
    if (shim_pid.ok()) rank.shim_pid = *shim_pid;
    if (rank.shim_pid == 0) rank.unknown_since_ms = NowMillis();
    ranks_.push_back(std::move(rank));
  }
  ty::log::Info("[job {}] re-attached to {} ranks", job_id_, ranks_.size());

  bool all_started = true;
  for (const Rank& rank : ranks_) all_started &= rank.shim_pid > 0 || rank.reported;
  if (record.status == "Starting" && all_started) Report("Running");
}

void JobRunner::FinishEarly(const std::string& status, const std::string& message) {
  {
    std::lock_guard lock(mu_);
    record_.outcome_status = status;
    record_.message = message;
  }
  Report(status, message);
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  on_finished_(job_id_);
}

void JobRunner::Finalize() {
  JobRecord record = Snapshot();
  Report("Finalizing");

  std::string status = record.outcome_status;
  std::string message = record.message;
  for (const std::string& name : record.spec.outputs) {
    absl::Status uploaded = listener_.UploadOutput(job_id_, name, paths_.OutputDir(name));
    if (uploaded.ok()) continue;
    ty::log::Warning("[job {}] output '{}' not uploaded because {}", job_id_, name,
                     uploaded.message());
    if (status == "Completed") {
      status = "Failed";
      message = fmt::format("the job succeeded but its output '{}' could not be uploaded: {}",
                            name, uploaded.message());
    }
  }

  {
    std::lock_guard lock(mu_);
    record_.outcome_status = status;
    record_.message = message;
  }
  Report(status, message, record.exit_code, record.signal);
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  on_finished_(job_id_);
}

}  // namespace ty::executors::local
