// KubernetesExecutor's worker: admits queued jobs when the cluster has room
// for all their instances, creates their objects, and turns the watched
// state of Jobs and pods into status events.

#include <algorithm>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "executors/kubernetes/capacity.h"
#include "executors/kubernetes/device_plugin.h"
#include "executors/kubernetes/kubernetes_executor.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

bool IsFinal(const std::string& status) {
  return status == "Completed" || status == "Failed" || status == "Canceled";
}

}  // namespace

void KubernetesExecutor::RunWorker() {
  while (true) {
    std::vector<std::string> queued;
    std::set<std::string> dirty;
    bool adopt = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, options_.tick, [this] { return shutting_down_ || !dirty_.empty(); });
      if (shutting_down_) return;
      adopt = adopt_requested_ && !adopt_done_ && job_reflector_->synced() &&
              pod_reflector_->synced();
      queued.assign(queue_.begin(), queue_.end());
      dirty.swap(dirty_);
      // Finished jobs wait for their logs; each tick checks them again.
      for (const auto& [job_id, job] : jobs_) {
        if (job.outcome && !IsFinal(job.status)) dirty.insert(job_id);
      }
    }
    if (adopt) AdoptAll();
    for (const std::string& job_id : queued) Admit(job_id);
    for (const std::string& job_id : dirty) SyncJob(job_id);
  }
}

absl::Status KubernetesExecutor::EnsureNamespace(std::string* note) {
  const std::string& name = options_.manifests.namespace_name;
  absl::StatusOr<json> found = client_->Get(kube::kNamespaces, "", name);
  if (found.ok()) return absl::OkStatus();
  // Without the right to read namespaces, creating the Job fails on a
  // missing namespace with a message that names it.
  if (found.status().code() == absl::StatusCode::kPermissionDenied) return absl::OkStatus();
  if (found.status().code() != absl::StatusCode::kNotFound) return found.status();
  if (!options_.create_namespace) {
    return absl::FailedPreconditionError(fmt::format(
        "namespace '{}' does not exist on the cluster; create it with `kubectl create namespace "
        "{}`, or attach the compute with an existing namespace",
        name, name));
  }
  absl::StatusOr<json> created = client_->Create(
      kube::kNamespaces, "",
      {{"apiVersion", "v1"},
       {"kind", "Namespace"},
       {"metadata", {{"name", name}, {"labels", {{kManagedByLabel, kManagedByValue}}}}}});
  if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
    return created.status();
  }
  *note = fmt::format("created namespace '{}', which did not exist", name);
  log::Info("kubernetes executor: {}", *note);
  return absl::OkStatus();
}

void KubernetesExecutor::Admit(const std::string& job_id) {
  agent::LaunchSpec spec;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return;
    if (it->second.cancel_requested) {
      std::erase(queue_, job_id);
      Report(it->second, "Canceled", it->second.cancel_reason);
      return;
    }
    spec = it->second.spec;
  }

  std::string note;
  absl::Status ready = EnsureNamespace(&note);
  FitResult fit{.ever = true, .now = true};
  PodResources resources = PodResourcesFromLaunch(spec.resources);
  if (ready.ok()) {
    absl::StatusOr<json> nodes = client_->List(kube::kNodes, "");
    // Every pod of the cluster counts, since any of them may use a node.
    absl::StatusOr<json> pods =
        client_->List(kube::kPods, "", {.field_selector = "status.phase!=Succeeded,"
                                                          "status.phase!=Failed"});
    if (nodes.ok()) {
      std::string plugin;
      if (resources.limits.gpus.value_or(0) > 0) {
        plugin = DescribeDevicePlugin(FindDevicePlugin(*client_, options_.extension_namespace));
      }
      try {
        fit = CheckFit(ReadNodes(*nodes, pods.ok() ? &*pods : nullptr), resources,
                       options_.manifests.node_selector, spec.instance_count, plugin);
        if (!pods.ok()) fit.now = fit.ever;
      } catch (const json::exception& error) {
        log::Warning("[job {}] created without a capacity check because the node list is not "
                     "readable: {}",
                     job_id, error.what());
      }
    } else {
      log::Warning("[job {}] created without a capacity check because {}", job_id,
                   nodes.status().message());
    }
  }

  std::unique_lock lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  TrackedJob& job = it->second;
  if (!ready.ok() || !fit.ever) {
    std::erase(queue_, job_id);
    Fail(job, ready.ok() ? fit.message : std::string(ready.message()));
    return;
  }
  if (!fit.now) {
    // The server moved the job to Preparing already, so the wait shows on
    // its ranks.
    for (int index = 0; index < spec.instance_count; ++index) {
      ReportInstance(job, {.index = index, .status = "Queued", .message = fit.message});
    }
    return;
  }
  std::erase(queue_, job_id);
  Report(job, "Preparing", note);
  job.created = true;  // from here on the Job may exist
  job.creating = true;
  lock.unlock();
  bool ours = false;
  absl::Status created = CreateObjects(job_id, &ours);
  lock.lock();

  it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  it->second.creating = false;
  // A cancel that came while the objects were created deletes them now.
  it->second.delete_sent = false;
  if (!created.ok()) {
    Fail(it->second, std::string(created.message()));
    if (!ours) return;
    // A Job left suspended would never run nor be cleaned up.
    std::string name = it->second.manifests.names.job;
    lock.unlock();
    absl::Status deleted = client_->Delete(kube::kJobs, options_.manifests.namespace_name, name,
                                           kube::PropagationPolicy::kForeground);
    if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) {
      log::Warning("[job {}] Job '{}' not deleted because {}", job_id, name, deleted.message());
    }
    return;
  }
  dirty_.insert(job_id);
}

absl::Status KubernetesExecutor::CreateObjects(const std::string& job_id, bool* ours) {
  JobManifests manifests;
  {
    std::lock_guard lock(mu_);
    manifests = jobs_.at(job_id).manifests;
  }
  const std::string& namespace_name = options_.manifests.namespace_name;
  absl::StatusOr<json> job = client_->Create(kube::kJobs, namespace_name, manifests.job);
  if (job.status().code() == absl::StatusCode::kAlreadyExists) {
    // A launch that an earlier agent process began: reuse its Job if it is
    // this job's.
    job = client_->Get(kube::kJobs, namespace_name, manifests.names.job);
    if (job.ok() && job->value("metadata", json::object())
                            .value("annotations", json::object())
                            .value(kJobIdAnnotation, "") != job_id) {
      return absl::AlreadyExistsError(fmt::format(
          "a Job named '{}' already exists in namespace '{}' and belongs to another job; delete "
          "it or submit the job under another name",
          manifests.names.job, namespace_name));
    }
  }
  RETURN_IF_ERROR(job.status());
  *ours = true;

  std::vector<std::pair<const kube::ResourceType*, json>> owned = {
      {&kube::kServices, OwnedByJob(manifests.service, *job)}};
  if (manifests.code) owned.emplace_back(&kube::kConfigMaps, OwnedByJob(*manifests.code, *job));
  for (const auto& [type, object] : owned) {
    absl::StatusOr<json> created = client_->Create(*type, namespace_name, object);
    if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
      return created.status();
    }
  }
  // The Job was created suspended so that no pod starts before the Service
  // and the code ConfigMap exist.
  return client_
      ->MergePatch(kube::kJobs, namespace_name, manifests.names.job,
                   {{"spec", {{"suspend", false}}}})
      .status();
}

void KubernetesExecutor::SyncJob(const std::string& job_id) {
  std::vector<std::string> to_delete;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || !it->second.created || it->second.creating ||
        IsFinal(it->second.status)) {
      return;
    }
    TrackedJob& job = it->second;
    const std::string& name = job.manifests.names.job;

    std::vector<json> pods;
    for (const auto& [pod_name, pod] : pods_) {
      const json& labels = pod["metadata"].value("labels", json::object());
      if (labels.value(kJobLabel, "") == name) pods.push_back(pod);
    }
    auto k8s_job = k8s_jobs_.find(name);

    if (job.cancel_requested && !job.outcome) {
      if (!job.delete_sent) {
        to_delete.push_back(name);
        job.delete_sent = true;
        log::Info("[job {}] deleting Job '{}' because {}", job_id, name, job.cancel_reason);
      }
      if (k8s_job == k8s_jobs_.end() && pods.empty()) {
        job.outcome = JobView{.status = "Canceled", .message = job.cancel_reason};
        job.ended_at = std::chrono::steady_clock::now();
        for (auto& [pod, follower] : job.followers) follower->MarkContainerEnded();
        Report(job, "Finalizing", "");
      }
    } else if (k8s_job == k8s_jobs_.end() && !job.outcome) {
      // A Job just created may not have reached the cache yet.
      if (job.status.empty() || job.status == "Preparing") return;
      Fail(job, fmt::format("the Kubernetes Job '{}' was deleted outside Trainyard", name));
      return;
    } else if (!job.outcome) {
      const json& object = k8s_job->second;
      if (object["spec"].value("suspend", false) && job.manifests.job.is_null()) {
        // Adopted half-created: the snapshot that the ConfigMap needs is gone.
        to_delete.push_back(name);
        Fail(job, "the agent stopped while creating the job's Kubernetes objects; submit the "
                  "job again");
      } else {
        JobView view;
        try {
          view = ViewJob(object, pods, job.spec.instance_count, job.spec.timeout.count());
        } catch (const json::exception& error) {
          // The API server's objects have the documented shape; one that
          // does not is skipped until it changes.
          log::Warning("[job {}] Job '{}' or its pods not readable because {}", job_id, name,
                       error.what());
          return;
        }
        for (const auto& [index, instance] : view.instances) ReportInstance(job, instance);
        FollowLogs(job, view);
        if (view.status == "Completed" || view.status == "Failed") {
          bool ran = false;
          for (const auto& [index, instance] : view.instances) ran |= instance.logs_available;
          if (ran) ReportProgress(job, "Running");
          bool fatal = view.failed_index && view.instances[*view.failed_index].fatal;
          if (fatal) to_delete.push_back(name);  // Kubernetes would keep retrying the pull
          job.outcome = view;
          job.ended_at = std::chrono::steady_clock::now();
          for (auto& [pod, follower] : job.followers) follower->MarkContainerEnded();
          Report(job, "Finalizing", "");
        } else if (view.status == "Running") {
          ReportProgress(job, "Running");
        } else if (job.status != "Starting" && job.status != "Running") {
          // Starting is reported once the scheduler has seen each pod, so
          // that its message states what the pods wait for.
          bool settled = static_cast<int>(view.instances.size()) == job.spec.instance_count;
          for (const auto& [index, instance] : view.instances) {
            settled &= instance.status != "Starting" || !instance.message.empty() ||
                       instance.scheduled;
          }
          if (settled) Report(job, "Starting", view.message);
        }
      }
    }
    if (job.outcome) FinishIfDrained(job);
  }

  for (const std::string& name : to_delete) {
    absl::Status deleted = client_->Delete(kube::kJobs, options_.manifests.namespace_name, name,
                                           kube::PropagationPolicy::kForeground);
    if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) {
      log::Warning("[job {}] Job '{}' not deleted because {}", job_id, name, deleted.message());
      std::lock_guard lock(mu_);
      auto it = jobs_.find(job_id);
      if (it != jobs_.end()) it->second.delete_sent = false;
    }
  }
}

// REQUIRES: mu_ held.
void KubernetesExecutor::FinishIfDrained(TrackedJob& job) {
  bool drained = true;
  for (const auto& [pod, follower] : job.followers) drained &= follower->Done();
  bool overdue = std::chrono::steady_clock::now() - job.ended_at > options_.log_drain_timeout;
  if (!drained && !overdue) return;
  if (!drained) {
    log::Warning("[job {}] final status reported before its whole log arrived", job.spec.job_id);
    for (auto& [pod, follower] : job.followers) follower->Stop();
  }
  const JobView& outcome = *job.outcome;
  // The failing rank's last lines are known only once its log is read.
  std::string message = outcome.status == "Failed" ? FailureMessage(job, outcome)
                                                    : outcome.message;
  Report(job, outcome.status, message, outcome.exit_code, outcome.signal);
}

// REQUIRES: mu_ held.
void KubernetesExecutor::Fail(TrackedJob& job, const std::string& message) {
  job.outcome = JobView{.status = "Failed", .message = message};
  job.ended_at = std::chrono::steady_clock::now();
  Report(job, "Failed", message);
}

}  // namespace ty::executors::kubernetes
