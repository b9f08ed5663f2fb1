#include "server/scheduler.h"

#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/launch_builder.h"
#include "server/placement.h"
#include "store/assignments.h"
#include "store/job_tokens.h"
#include "store/resources.h"
#include "store/tracking_runs.h"

namespace ty::server {
namespace {

using nlohmann::json;

// Queued jobs read per pass; later ones are reached on the next pass.
constexpr int kQueuedPerPass = 1000;

// Without a change, a pass still runs this often, which retries assignments
// whose store write failed and refreshes waiting jobs' messages.
constexpr std::chrono::seconds kIdlePass{2};

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string JoinPlacement(const std::vector<size_t>& placement) {
  return absl::StrJoin(placement, ",");
}

}  // namespace

Scheduler::Scheduler(store::Database& database, store::Notifier& notifier, RelayHub& hub,
                     std::string public_url)
    : database_(database), notifier_(notifier), hub_(hub), public_url_(std::move(public_url)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  stopping_ = true;
  notifier_.Notify(store::kQueuedJobsTopic);
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  uint64_t seen = 0;
  while (!stopping_) {
    seen = notifier_.Version(store::kQueuedJobsTopic);
    RunOnce();
    if (stopping_ || notifier_.shut_down()) break;
    notifier_.WaitFor(store::kQueuedJobsTopic, seen, kIdlePass);
  }
}

void Scheduler::RunOnce() {
  absl::StatusOr<std::vector<store::JobRecord>> queued =
      store::ListQueuedJobs(database_, kQueuedPerPass);
  if (!queued.ok()) {
    log::Warning("scheduler: listing queued jobs failed because {}", queued.status().message());
    return;
  }
  std::map<std::string, std::vector<store::JobRecord>> by_cluster;
  for (store::JobRecord& job : *queued) by_cluster[job.cluster_id].push_back(std::move(job));
  for (auto& [cluster_id, jobs] : by_cluster) ScheduleCluster(cluster_id, std::move(jobs));
  for (const std::string& cluster_id : hub_.ConnectedClusters()) SendCancels(cluster_id);
}

void Scheduler::ScheduleCluster(const std::string& cluster_id,
                                std::vector<store::JobRecord> jobs) {
  if (!hub_.IsConnected(cluster_id)) {
    std::string message = absl::StrCat("waiting for the agent of ",
                                       store::DescribeResource(cluster_id), " to connect");
    for (const store::JobRecord& job : jobs) {
      if (job.status_message != message) {
        store::SetJobStatusMessage(database_, job.id, message).IgnoreError();
      }
    }
    return;
  }

  // Free capacity: what the agent reported minus what assigned jobs hold.
  std::vector<NodeResources> free;
  {
    absl::StatusOr<store::Transaction> transaction = database_.BeginRead();
    if (!transaction.ok()) return;
    absl::StatusOr<store::Resource> cluster = store::GetResource(*transaction, cluster_id);
    absl::StatusOr<std::vector<store::Assignment>> active = store::ActiveAssignments(*transaction, cluster_id);
    if (!cluster.ok() || !active.ok()) return;
    free = NodesFromCapacity(cluster->properties.value("capacity", json()));
    for (const store::Assignment& assignment : *active) {
      for (absl::string_view index : absl::StrSplit(assignment.placement, ',')) {
        size_t node = 0;
        if (!absl::SimpleAtoi(index, &node) || node >= free.size()) continue;
        free[node].cpus -= assignment.cpus;
        free[node].memory_bytes -= assignment.memory_bytes;
        free[node].gpus -= assignment.gpus;
      }
    }
  }

  for (const store::JobRecord& job : jobs) {
    if (stopping_) return;
    absl::StatusOr<LaunchPlan> plan;
    {
      absl::StatusOr<store::Transaction> transaction = database_.BeginRead();
      if (!transaction.ok()) return;
      plan = BuildLaunchPlan(*transaction, job, public_url_);
    }
    if (!plan.ok()) {
      // The compute or its instance type vanished after submit: the job can
      // never run as specified.
      store::AppendJobStatus(database_, notifier_,
                             {.job_id = job.id,
                              .status = api::JobStatus::kFailed,
                              .message = absl::StrCat("cannot be scheduled: ", plan.status().message()),
                              .time_millis = NowMillis()})
          .IgnoreError();
      continue;
    }
    std::optional<std::vector<size_t>> placement = PlaceGang(free, plan->request);
    if (!placement) {
      std::string message = DescribeWait(free, plan->request);
      if (job.status_message != message) {
        store::SetJobStatusMessage(database_, job.id, message).IgnoreError();
      }
      // Submit order holds per cluster: nothing behind this job jumps it.
      return;
    }
    absl::Status assigned = Assign(job, plan->launch, plan->request, JoinPlacement(*placement));
    if (!assigned.ok()) {
      log::Warning("[job {}] assignment failed because {}", job.id, assigned.message());
    }
  }
}

absl::Status Scheduler::Assign(const store::JobRecord& job, const json& launch,
                               const GangRequest& request, const std::string& placement) {
  store::Assignment assignment;
  assignment.job_id = job.id;
  assignment.cluster_id = job.cluster_id;
  assignment.message_id = "assign-" + NewId();
  assignment.cpus = request.cpus;
  assignment.memory_bytes = request.memory_bytes;
  assignment.gpus = request.gpus;
  assignment.instances = request.instances;
  assignment.placement = placement;

  json frame_job = launch;
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, database_.Begin());
    ASSIGN_OR_RETURN(store::JobRecord current, store::GetJob(transaction, job.id));
    // Canceled (or otherwise moved) since the scheduler read it.
    if (current.status != api::JobStatus::kQueued) return absl::OkStatus();
    // The job's processes log to its tracking run with a token that is
    // good for that run only.
    ASSIGN_OR_RETURN(store::TrackingRun run, store::EnsureJobRun(transaction, current));
    ASSIGN_OR_RETURN(std::string token, store::IssueJobToken(transaction, run.key));
    json& environment = frame_job["environment"];
    environment["TRAINYARD_TOKEN"] = token;
    environment["MLFLOW_TRACKING_TOKEN"] = token;
    environment["TRAINYARD_RUN_ID"] = run.run_id;
    environment["MLFLOW_RUN_ID"] = run.run_id;
    environment["MLFLOW_EXPERIMENT_ID"] = std::to_string(run.experiment_id);
    assignment.launch = Dump(frame_job);
    RETURN_IF_ERROR(store::InsertAssignment(transaction, assignment));
    ASSIGN_OR_RETURN(bool moved,
                     store::AppendJobStatus(
                         transaction, {.job_id = job.id,
                                       .status = api::JobStatus::kPreparing,
                                       .message = absl::StrCat(
                                           "assigned to ", store::DescribeResource(job.cluster_id)),
                                       .time_millis = NowMillis()}));
    if (!moved) return absl::OkStatus();
    RETURN_IF_ERROR(transaction.Commit());
  }
  notifier_.Notify(store::JobTopic(job.id));
  log::Info("[job {}] assigned to {} ({} instance(s))", job.id, job.cluster_id, request.instances);
  // An assignment that cannot be sent now is sent again when the agent
  // reconnects, because it stays unacknowledged.
  hub_.Send(job.cluster_id,
            Dump({{"type", "assign"}, {"id", assignment.message_id}, {"job", frame_job}}));
  return absl::OkStatus();
}

void Scheduler::SendCancels(const std::string& cluster_id) {
  absl::StatusOr<store::Transaction> transaction = database_.Begin();
  if (!transaction.ok()) return;
  absl::StatusOr<std::vector<store::Assignment>> active = store::ActiveAssignments(*transaction, cluster_id);
  if (!active.ok()) return;
  std::vector<json> frames;
  for (const store::Assignment& assignment : *active) {
    if (assignment.cancel_sent) continue;
    absl::StatusOr<store::JobRecord> job = store::GetJob(*transaction, assignment.job_id);
    if (!job.ok() || job->status != api::JobStatus::kCancelRequested) continue;
    if (!store::SetCancelSent(*transaction, assignment.job_id, true).ok()) return;
    frames.push_back({{"type", "cancel"},
                      {"id", "cancel-" + NewId()},
                      {"job", assignment.job_id},
                      {"reason", "canceled by the user"}});
  }
  if (frames.empty() || !transaction->Commit().ok()) return;
  for (const json& frame : frames) hub_.Send(cluster_id, Dump(frame));
}

}  // namespace ty::server
