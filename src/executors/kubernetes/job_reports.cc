// KubernetesExecutor's reports: job and rank status events, failure
// messages with the failing rank's last lines, and log followers.

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/time.h"
#include "executors/kubernetes/kubernetes_executor.h"

namespace ty::executors::kubernetes {
namespace {

constexpr size_t kFailureLines = 5;

}  // namespace

// REQUIRES: mu_ held.
std::string KubernetesExecutor::FailureMessage(TrackedJob& job, const JobView& view) {
  if (!view.failed_index) return view.message;
  int world = job.spec.instance_count * job.spec.processes_per_instance;
  int rank = *view.failed_index * job.spec.processes_per_instance;
  std::vector<std::string> last_lines;
  auto instance = view.instances.find(*view.failed_index);
  if (instance != view.instances.end()) {
    auto follower = job.followers.find(instance->second.pod);
    if (follower != job.followers.end()) last_lines = follower->second->LastLines(rank, kFailureLines);
  }
  std::string message = world == 1 ? view.message
                                   : fmt::format("rank {} of {} failed: {}", rank, world,
                                                 view.message);
  if (!last_lines.empty()) {
    message += fmt::format("; its last output lines: {}", absl::StrJoin(last_lines, " | "));
  }
  return message;
}

// REQUIRES: mu_ held.
void KubernetesExecutor::FollowLogs(TrackedJob& job, const JobView& view) {
  for (const auto& [index, instance] : view.instances) {
    auto existing = job.followers.find(instance.pod);
    if (existing == job.followers.end() && instance.logs_available) {
      auto follower = std::make_unique<LogFollower>(
          *client_,
          LogSource{.job_id = job.spec.job_id,
                    .namespace_name = options_.manifests.namespace_name,
                    .pod = instance.pod,
                    .node_rank = index,
                    .processes_per_instance = job.spec.processes_per_instance},
          *listener_);
      follower->Start();
      existing = job.followers.emplace(instance.pod, std::move(follower)).first;
    }
    if (existing != job.followers.end() &&
        (instance.status == "Completed" || instance.status == "Failed")) {
      existing->second->MarkContainerEnded();
    }
  }
}

// REQUIRES: mu_ held.
void KubernetesExecutor::Report(TrackedJob& job, const std::string& status,
                                const std::string& message, std::optional<int> exit_code,
                                std::optional<int> signal) {
  if (job.status == status && job.message == message) return;
  log::Info("[job {}] {} -> {}{}", job.spec.job_id, job.status.empty() ? "(new)" : job.status,
            status, message.empty() ? "" : " because " + message);
  job.status = status;
  job.message = message;
  if (exit_code) job.exit_code = exit_code;
  if (signal) job.signal = signal;
  adopted_.notify_all();  // Recover() waits for adopted jobs' first states
  listener_->OnStatus({.job_id = job.spec.job_id,
                       .status = status,
                       .exit_code = exit_code,
                       .signal = signal,
                       .message = message,
                       .time_ms = NowMillis()});
}

// REQUIRES: mu_ held.
void KubernetesExecutor::ReportInstance(TrackedJob& job, const InstanceView& instance) {
  auto& reported = job.instances[instance.index];
  if (reported.first == instance.status && reported.second == instance.message) return;
  reported = {instance.status, instance.message};
  // Each process of the instance shares its pod's state.
  int per_node = job.spec.processes_per_instance;
  for (int local = 0; local < per_node; ++local) {
    listener_->OnStatus({.job_id = job.spec.job_id,
                         .status = instance.status,
                         .rank = instance.index * per_node + local,
                         .node = instance.pod,
                         .exit_code = instance.exit_code,
                         .signal = instance.signal,
                         .message = instance.message,
                         .time_ms = NowMillis()});
  }
}

// REQUIRES: mu_ held.
void KubernetesExecutor::ReportProgress(TrackedJob& job, const std::string& status) {
  // A job can pass a status between two looks at it; each status is still
  // reported, in order, as the local executor does.
  static const std::vector<std::string> kOrder = {"Preparing", "Starting", "Running"};
  auto current = std::find(kOrder.begin(), kOrder.end(), job.status);
  auto target = std::find(kOrder.begin(), kOrder.end(), status);
  if (target == kOrder.end()) return;
  for (auto next = current == kOrder.end() ? kOrder.begin() : current + 1; next <= target;
       ++next) {
    Report(job, *next, "");
  }
}

}  // namespace ty::executors::kubernetes
