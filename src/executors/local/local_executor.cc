#include "executors/local/local_executor.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "executors/local/file_util.h"
#include "executors/local/gpu_discovery.h"
#include "executors/local/job_layout.h"
#include "executors/local/rank_env.h"

namespace ty::executors::local {
namespace {

namespace fs = std::filesystem;

agent::NodeCapacity DiscoverHost(const LocalExecutorOptions& options) {
  if (options.capacity) return *options.capacity;
  agent::NodeCapacity node;
  node.name = HostName();
  node.cpus = DiscoverCpus();
  auto memory = DiscoverMemoryBytes();
  if (memory.ok()) {
    node.memory_bytes = *memory;
  } else {
    ty::log::Error("host memory unknown, so jobs that request memory are rejected, because {}",
                   memory.status().message());
  }
  node.gpus = DiscoverGpus(options.nvidia_smi);
  return node;
}

}  // namespace

LocalExecutor::LocalExecutor(LocalExecutorOptions options, agent::ExecutorListener* listener)
    : options_(std::move(options)),
      listener_(listener),
      capacity_(DiscoverHost(options_)),
      ledger_(capacity_) {
  ty::log::Info("local executor on host '{}': {} CPUs, {} MiB memory, {} GPUs, work root '{}'",
                capacity_.name, capacity_.cpus, capacity_.memory_bytes / (1024 * 1024),
                capacity_.gpus.size(), options_.work_root);
}

LocalExecutor::~LocalExecutor() { Shutdown(); }

JobPaths LocalExecutor::PathsFor(const std::string& job_id) const {
  return JobPaths(fmt::format("{}/{}", options_.work_root, JobFolderName(job_id)));
}

absl::Status LocalExecutor::Launch(const agent::LaunchSpec& spec) {
  if (spec.job_id.empty()) return absl::InvalidArgumentError("job id is empty; set LaunchSpec::job_id");
  if (absl::Status valid = ValidateDistribution(spec); !valid.ok()) return valid;

  std::string waiting_for;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) {
      return absl::FailedPreconditionError("the local executor is shut down; create a new one");
    }
    bool queued = std::any_of(queue_.begin(), queue_.end(),
                              [&](const JobRecord& record) { return record.spec.job_id == spec.job_id; });
    if (queued || runners_.contains(spec.job_id) || ended_.contains(spec.job_id)) {
      return absl::OkStatus();
    }
    if (absl::Status fits = ledger_.CheckFits(spec); !fits.ok()) return fits;

    JobPaths paths = PathsFor(spec.job_id);
    if (fs::exists(paths.state_file)) {
      return absl::FailedPreconditionError(fmt::format(
          "job '{}' has a folder from an earlier agent at '{}'; call Recover() first, or "
          "Forget() the job to start it afresh",
          spec.job_id, paths.job_dir));
    }
    std::error_code error;
    fs::create_directories(paths.job_dir, error);
    if (error) {
      return absl::InternalError(
          fmt::format("create job folder '{}': {}", paths.job_dir, error.message()));
    }
    JobRecord record{.spec = spec, .status = "Queued", .queued_ms = NowMillis()};
    if (absl::Status saved = WriteFileAtomic(paths.state_file, EncodeJobRecord(record),
                                              Durability::kMachineCrash);
        !saved.ok()) {
      return saved;
    }

    queue_.push_back(std::move(record));
    waiting_for = ScheduleLocked();
    bool still_queued = !queue_.empty() && queue_.back().spec.job_id == spec.job_id;
    if (!still_queued) return absl::OkStatus();
    if (queue_.front().spec.job_id != spec.job_id) {
      waiting_for = fmt::format("waiting behind {} earlier jobs", queue_.size() - 1);
    }
  }

  ty::log::Info("[job {}] queued because it is {}", spec.job_id, waiting_for);
  listener_->OnStatus({.job_id = spec.job_id,
                       .status = "Queued",
                       .message = waiting_for,
                       .time_ms = NowMillis()});
  return absl::OkStatus();
}

std::string LocalExecutor::ScheduleLocked() {
  while (!queue_.empty() && !shut_down_) {
    JobRecord& head = queue_.front();
    auto reservation = ledger_.Reserve(head.spec.job_id, head.spec);
    if (!reservation.ok()) return std::string(reservation.status().message());
    head.reservation = *reservation;
    JobRecord record = std::move(head);
    queue_.pop_front();
    StartRunnerLocked(std::move(record));
  }
  return std::string();
}

void LocalExecutor::StartRunnerLocked(JobRecord record) {
  std::string job_id = record.spec.job_id;
  JobRunnerOptions options{.shim_path = options_.shim_path,
                           .host_name = capacity_.name,
                           .grace_period = options_.grace_period,
                           .poll_interval = options_.poll_interval,
                           .host_has_gpus = ledger_.HasGpus()};
  auto runner = std::make_unique<JobRunner>(options, *listener_, PathsFor(job_id),
                                            std::move(record),
                                            [this](const std::string& id) { OnJobFinished(id); });
  runner->Start();
  runners_[job_id] = std::move(runner);
}

void LocalExecutor::OnJobFinished(const std::string& job_id) {
  std::lock_guard lock(mu_);
  ledger_.Release(job_id);
  if (forget_when_finished_.erase(job_id) > 0) {
    auto runner = runners_.find(job_id);
    if (runner != runners_.end()) {
      finished_runners_.push_back(std::move(runner->second));
      runners_.erase(runner);
    }
    RemoveJobFolder(job_id);
  }
  ScheduleLocked();
}

std::vector<std::unique_ptr<JobRunner>> LocalExecutor::TakeFinishedRunnersLocked() {
  return std::exchange(finished_runners_, {});
}

void LocalExecutor::RemoveJobFolder(const std::string& job_id) const {
  std::error_code error;
  fs::remove_all(PathsFor(job_id).job_dir, error);
  if (error) {
    ty::log::Warning("[job {}] working folder not removed because {}", job_id, error.message());
  }
}

absl::Status LocalExecutor::Cancel(const std::string& job_id, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    auto runner = runners_.find(job_id);
    if (runner != runners_.end()) {
      runner->second->Cancel(reason);
      return absl::OkStatus();
    }
    auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const JobRecord& record) {
      return record.spec.job_id == job_id;
    });
    if (queued == queue_.end()) return absl::OkStatus();

    // A queued job has no process yet, so it ends at once.
    JobRecord record = std::move(*queued);
    queue_.erase(queued);
    record.status = "Canceled";
    record.outcome_status = "Canceled";
    record.message = reason;
    ended_[job_id] = {job_id, "Canceled", std::nullopt, std::nullopt};
    if (absl::Status saved = WriteFileAtomic(PathsFor(job_id).state_file,
                                                EncodeJobRecord(record), Durability::kMachineCrash);
        !saved.ok()) {
      ty::log::Warning("[job {}] cancel not saved because {}", job_id, saved.message());
    }
    ScheduleLocked();
  }
  ty::log::Info("[job {}] Queued -> Canceled because {}", job_id, reason);
  listener_->OnStatus(
      {.job_id = job_id, .status = "Canceled", .message = reason, .time_ms = NowMillis()});
  return absl::OkStatus();
}

std::vector<agent::JobState> LocalExecutor::Inventory() {
  std::lock_guard lock(mu_);
  std::vector<agent::JobState> jobs;
  for (const JobRecord& record : queue_) jobs.push_back({record.spec.job_id, "Queued"});
  for (const auto& [job_id, runner] : runners_) jobs.push_back(runner->State());
  for (const auto& [job_id, state] : ended_) jobs.push_back(state);
  return jobs;
}

void LocalExecutor::Forget(const std::string& job_id) {
  std::unique_ptr<JobRunner> finished;
  std::vector<std::unique_ptr<JobRunner>> earlier;
  {
    std::lock_guard lock(mu_);
    earlier = TakeFinishedRunnersLocked();
    auto runner = runners_.find(job_id);
    if (runner != runners_.end()) {
      if (!IsTerminalStatus(runner->second->State().status)) {
        ty::log::Warning("[job {}] not forgotten because it is still running; cancel it first",
                         job_id);
        return;
      }
      // Inside the listener's OnStatus on the job's own thread, the thread
      // cannot be joined, so the removal waits for it to finish. Elsewhere
      // the join below waits for the thread's last steps.
      if (!runner->second->Finished() && runner->second->OnOwnThread()) {
        forget_when_finished_.insert(job_id);
        return;
      }
      finished = std::move(runner->second);
      runners_.erase(runner);
    } else if (ended_.erase(job_id) == 0) {
      return;
    }
  }
  // The runner's thread may still be returning from OnJobFinished, which
  // takes mu_, so it is joined without holding mu_.
  finished.reset();
  earlier.clear();
  RemoveJobFolder(job_id);
}

absl::Status LocalExecutor::Recover() {
  std::error_code error;
  fs::create_directories(options_.work_root, error);
  if (error) {
    return absl::InternalError(
        fmt::format("create work root '{}': {}", options_.work_root, error.message()));
  }

  std::lock_guard lock(mu_);
  if (shut_down_) return absl::FailedPreconditionError("the local executor is shut down");
  std::vector<JobRecord> queued;
  int resumed = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.work_root, error)) {
    std::string state_file = entry.path().string() + "/state.json";
    auto text = ReadFile(state_file);
    if (!text.ok()) continue;
    auto record = DecodeJobRecord(*text);
    if (!record.ok()) {
      ty::log::Warning("job folder '{}' skipped because {}", entry.path().string(),
                       record.status().message());
      continue;
    }
    const std::string& job_id = record->spec.job_id;
    bool known = runners_.contains(job_id) || ended_.contains(job_id) ||
                 std::any_of(queue_.begin(), queue_.end(),
                             [&](const JobRecord& held) { return held.spec.job_id == job_id; });
    if (known) continue;

    if (IsTerminalStatus(record->status)) {
      ended_[job_id] = {job_id, record->status, record->exit_code, record->signal};
    } else if (record->status == "Queued") {
      queued.push_back(*std::move(record));
    } else {
      // Its processes may run already, so its reservation is restored even
      // if the host changed meanwhile.
      ledger_.Restore(job_id, record->reservation);
      StartRunnerLocked(*std::move(record));
      ++resumed;
    }
  }
  if (error) {
    return absl::InternalError(
        fmt::format("list work root '{}': {}", options_.work_root, error.message()));
  }

  std::sort(queued.begin(), queued.end(), [](const JobRecord& a, const JobRecord& b) {
    return a.queued_ms < b.queued_ms;
  });
  for (JobRecord& record : queued) queue_.push_back(std::move(record));
  ty::log::Info("recovered {} running and {} queued jobs from '{}'", resumed, queued.size(),
                options_.work_root);
  ScheduleLocked();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<agent::NodeCapacity>> LocalExecutor::DiscoverCapacity() {
  return std::vector<agent::NodeCapacity>{capacity_};
}

void LocalExecutor::Shutdown() {
  std::vector<JobRunner*> runners;
  std::vector<std::unique_ptr<JobRunner>> finished;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [job_id, runner] : runners_) runners.push_back(runner.get());
    finished = TakeFinishedRunnersLocked();
  }
  finished.clear();
  // Runners stay in the map, so Inventory() still lists them; their threads
  // may call OnJobFinished, so they are joined without holding mu_.
  for (JobRunner* runner : runners) runner->StopWatching();
  ty::log::Info("local executor stopped watching {} jobs; their processes keep running",
                runners.size());
}

}  // namespace ty::executors::local
