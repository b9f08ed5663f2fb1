#include "executors/kubernetes/kubernetes_executor.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "executors/kubernetes/capacity.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

std::string AnnotationOf(const json& object, const char* key) {
  const json& annotations =
      object.value("metadata", json::object()).value("annotations", json::object());
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string LabelOf(const json& object, const char* key) {
  const json& labels = object.value("metadata", json::object()).value("labels", json::object());
  auto it = labels.find(key);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

bool IsFinal(const std::string& status) {
  return status == "Completed" || status == "Failed" || status == "Canceled";
}

}  // namespace

KubernetesExecutor::KubernetesExecutor(std::unique_ptr<kube::Client> client,
                                       KubernetesExecutorOptions options,
                                       agent::ExecutorListener* listener)
    : options_(std::move(options)), listener_(listener), client_(std::move(client)) {
  kube::ListOptions selector{.label_selector = OwnedSelector(options_.manifests.owner)};
  const std::string& namespace_name = options_.manifests.namespace_name;
  job_reflector_ = std::make_unique<kube::Reflector>(
      *client_,
      kube::ReflectorOptions{.type = &kube::kJobs,
                             .namespace_name = namespace_name,
                             .selector = selector,
                             .watch_timeout_seconds = options_.watch_timeout_seconds},
      kube::ReflectorHandler{.on_upsert = [this](const json& job) { OnJob(job, false); },
                             .on_delete = [this](const json& job) { OnJob(job, true); }});
  pod_reflector_ = std::make_unique<kube::Reflector>(
      *client_,
      kube::ReflectorOptions{.type = &kube::kPods,
                             .namespace_name = namespace_name,
                             .selector = selector,
                             .watch_timeout_seconds = options_.watch_timeout_seconds},
      kube::ReflectorHandler{.on_upsert = [this](const json& pod) { OnPod(pod, false); },
                             .on_delete = [this](const json& pod) { OnPod(pod, true); }});
  job_reflector_->Start();
  pod_reflector_->Start();
  worker_ = std::thread([this] { RunWorker(); });
}

KubernetesExecutor::~KubernetesExecutor() { Shutdown(); }

std::string KubernetesExecutor::KubernetesName(const std::string& job_id) {
  return NamesForJob(job_id).job;
}

void KubernetesExecutor::Wake() { wake_.notify_all(); }

void KubernetesExecutor::OnJob(const json& object, bool deleted) {
  std::string name = kube::NameOf(object);
  std::lock_guard lock(mu_);
  if (deleted) {
    k8s_jobs_.erase(name);
  } else {
    k8s_jobs_[name] = object;
  }
  std::string job_id = AnnotationOf(object, kJobIdAnnotation);
  if (jobs_.contains(job_id)) {
    dirty_.insert(job_id);
    Wake();
  }
}

void KubernetesExecutor::OnPod(const json& object, bool deleted) {
  std::string name = kube::NameOf(object);
  std::lock_guard lock(mu_);
  if (deleted) {
    pods_.erase(name);
  } else {
    pods_[name] = object;
  }
  std::string job_id = AnnotationOf(object, kJobIdAnnotation);
  if (jobs_.contains(job_id)) {
    dirty_.insert(job_id);
    Wake();
  }
}

absl::Status KubernetesExecutor::Launch(const agent::LaunchSpec& spec) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) {
      return absl::FailedPreconditionError("the Kubernetes executor is shutting down");
    }
    if (jobs_.contains(spec.job_id)) return absl::OkStatus();
  }
  const std::string& namespace_name = options_.manifests.namespace_name;
  if (!spec.namespace_name.empty() && spec.namespace_name != namespace_name) {
    // TODO: run jobs in each compute target's own namespace; that needs a
    // watch per namespace and the agent's Role granted in each of them.
    return absl::InvalidArgumentError(fmt::format(
        "the compute is attached with namespace '{}', but the agent of this cluster runs jobs in "
        "namespace '{}'; attach the compute again with --namespace {}, or restart the agent "
        "with --namespace {}",
        spec.namespace_name, namespace_name, namespace_name, spec.namespace_name));
  }

  std::string archive;
  if (!spec.code_archive.empty()) {
    std::ifstream in(spec.code_archive, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          fmt::format("cannot read the code snapshot '{}'", spec.code_archive));
    }
    std::ostringstream content;
    content << in.rdbuf();
    archive = content.str();
  }
  ASSIGN_OR_RETURN(JobManifests manifests,
                   BuildJobManifests(spec, PodResourcesFromLaunch(spec.resources), archive,
                                     options_.manifests));

  std::lock_guard lock(mu_);
  if (jobs_.contains(spec.job_id)) return absl::OkStatus();
  TrackedJob& job = jobs_[spec.job_id];
  job.spec = spec;
  job.manifests = std::move(manifests);
  queue_.push_back(spec.job_id);
  log::Info("[job {}] accepted as Kubernetes Job '{}' in namespace '{}'", spec.job_id,
            job.manifests.names.job, options_.manifests.namespace_name);
  Wake();
  return absl::OkStatus();
}

absl::Status KubernetesExecutor::Cancel(const std::string& job_id, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || IsFinal(it->second.status) || it->second.cancel_requested) {
    return absl::OkStatus();
  }
  it->second.cancel_requested = true;
  it->second.cancel_reason = reason.empty() ? "canceled" : reason;
  dirty_.insert(job_id);
  Wake();
  return absl::OkStatus();
}

std::vector<agent::JobState> KubernetesExecutor::Inventory() {
  std::lock_guard lock(mu_);
  std::vector<agent::JobState> states;
  for (const auto& [job_id, job] : jobs_) {
    states.push_back({job_id, job.status.empty() ? "Preparing" : job.status, job.exit_code,
                      job.signal});
  }
  return states;
}

void KubernetesExecutor::Forget(const std::string& job_id) {
  std::string name;
  std::map<std::string, std::unique_ptr<LogFollower>> followers;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || !IsFinal(it->second.status)) return;
    if (it->second.created) name = it->second.manifests.names.job;
    followers = std::move(it->second.followers);
    jobs_.erase(it);
  }
  followers.clear();
  if (name.empty()) return;
  absl::Status deleted = client_->Delete(kube::kJobs, options_.manifests.namespace_name, name,
                                         kube::PropagationPolicy::kBackground);
  if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) {
    log::Warning("[job {}] Job '{}' not deleted because {}", job_id, name, deleted.message());
  }
}

absl::Status KubernetesExecutor::Recover() {
  // The worker adopts once both lists have arrived, which may be after the
  // wait below when the API server is unreachable now.
  std::unique_lock lock(mu_);
  adopt_requested_ = true;
  Wake();
  bool done = adopted_.wait_for(lock, std::chrono::seconds(30), [this] { return adopt_done_; });
  if (!done) {
    return absl::UnavailableError(fmt::format(
        "the Jobs and pods of namespace '{}' could not be listed within 30 s, so running jobs "
        "are adopted once they can be; check the agent's log for the API server's errors",
        options_.manifests.namespace_name));
  }

  // The inventory sent on connect should hold each adopted job's real state.
  adopted_.wait_for(lock, std::chrono::seconds(10), [this] {
    for (const auto& [job_id, job] : jobs_) {
      if (job.status.empty()) return false;
    }
    return true;
  });
  return absl::OkStatus();
}

void KubernetesExecutor::AdoptAll() {
  int adopted = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, object] : k8s_jobs_) {
      std::string job_id = AnnotationOf(object, kJobIdAnnotation);
      if (job_id.empty() || jobs_.contains(job_id)) continue;
      Adopt(object);
      ++adopted;
      dirty_.insert(job_id);
    }
  }
  CleanUpOrphans();
  log::Info("kubernetes executor: adopted {} job(s) in namespace '{}'", adopted,
            options_.manifests.namespace_name);
  std::lock_guard lock(mu_);
  adopt_done_ = true;
  adopted_.notify_all();
}

// REQUIRES: mu_ held.
void KubernetesExecutor::Adopt(const json& k8s_job) {
  std::string job_id = AnnotationOf(k8s_job, kJobIdAnnotation);
  TrackedJob& job = jobs_[job_id];
  job.spec.job_id = job_id;
  json layout = json::parse(AnnotationOf(k8s_job, kLayoutAnnotation), nullptr, false);
  if (layout.is_object()) {
    job.spec.instance_count = layout.value("instances", 1);
    job.spec.processes_per_instance = layout.value("processesPerInstance", 1);
    job.spec.outputs = layout.value("outputs", std::vector<std::string>{});
  }
  const json& spec = k8s_job.value("spec", json::object());
  job.spec.timeout = std::chrono::seconds(spec.value("activeDeadlineSeconds", int64_t{0}));
  job.manifests.names = NamesForJob(job_id);
  job.manifests.names.job = kube::NameOf(k8s_job);
  job.created = true;
  log::Info("[job {}] adopted Kubernetes Job '{}'", job_id, job.manifests.names.job);
}

void KubernetesExecutor::CleanUpOrphans() {
  const std::string& namespace_name = options_.manifests.namespace_name;
  kube::ListOptions selector{.label_selector = OwnedSelector(options_.manifests.owner)};
  std::set<std::string> live_jobs;
  std::vector<std::pair<const kube::ResourceType*, std::string>> orphans;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, object] : k8s_jobs_) live_jobs.insert(name);
    for (const auto& [name, pod] : pods_) {
      if (!live_jobs.contains(LabelOf(pod, kJobLabel))) orphans.emplace_back(&kube::kPods, name);
    }
  }
  for (const kube::ResourceType* type : {&kube::kServices, &kube::kConfigMaps}) {
    absl::StatusOr<json> list = client_->List(*type, namespace_name, selector);
    if (!list.ok()) {
      log::Warning("kubernetes executor: orphaned {} not cleaned up because {}", type->plural,
                   list.status().message());
      continue;
    }
    for (const json& item : list->value("items", json::array())) {
      if (!live_jobs.contains(LabelOf(item, kJobLabel))) {
        orphans.emplace_back(type, kube::NameOf(item));
      }
    }
  }
  for (const auto& [type, name] : orphans) {
    // Objects whose Job is gone are left from a job that was deleted while
    // the agent was away, or from a launch the agent did not finish.
    absl::Status deleted =
        client_->Delete(*type, namespace_name, name, kube::PropagationPolicy::kBackground);
    if (deleted.ok()) {
      log::Info("kubernetes executor: deleted orphaned {} '{}'", type->kind, name);
    } else if (deleted.code() != absl::StatusCode::kNotFound) {
      log::Warning("kubernetes executor: orphaned {} '{}' not deleted because {}", type->kind,
                   name, deleted.message());
    }
  }
}

absl::StatusOr<std::vector<agent::NodeCapacity>> KubernetesExecutor::DiscoverCapacity() {
  ASSIGN_OR_RETURN(json nodes, client_->List(kube::kNodes, ""));
  std::map<std::string, std::string> selector = options_.manifests.node_selector;
  selector["kubernetes.io/os"] = "linux";
  try {
    return ToCapacity(ReadNodes(nodes, nullptr), selector);
  } catch (const json::exception& error) {
    return absl::InternalError(
        fmt::format("the API server's node list is not readable: {}", error.what()));
  }
}

void KubernetesExecutor::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_ && !worker_.joinable()) return;
    shutting_down_ = true;
    Wake();
  }
  if (worker_.joinable()) worker_.join();
  job_reflector_->Stop();
  pod_reflector_->Stop();
  std::map<std::string, TrackedJob> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  // Destroying the followers stops their threads; the jobs keep running.
  jobs.clear();
}

}  // namespace ty::executors::kubernetes
