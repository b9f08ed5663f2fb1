#include "executors/kubernetes/job_view.h"

#include <set>

#include <fmt/format.h>

#include "executors/kubernetes/manifests.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

// Waiting reasons that waiting will not cure. ErrImagePull is left out
// because the kubelet retries it and a registry hiccup recovers; it turns
// into ImagePullBackOff when the retry fails too.
const std::set<std::string>& FatalWaitingReasons() {
  static const std::set<std::string> reasons = {
      "ImagePullBackOff",  "InvalidImageName",          "ErrImageNeverPull",
      "CrashLoopBackOff",  "CreateContainerConfigError", "CreateContainerError",
      "RunContainerError"};
  return reasons;
}

const json* FindCondition(const json& status, const std::string& type) {
  auto conditions = status.find("conditions");
  if (conditions == status.end() || !conditions->is_array()) return nullptr;
  for (const json& condition : *conditions) {
    if (condition.value("type", "") == type) return &condition;
  }
  return nullptr;
}

const json* FindContainer(const json& statuses, const std::string& name) {
  if (!statuses.is_array()) return nullptr;
  for (const json& status : statuses) {
    if (status.value("name", "") == name) return &status;
  }
  return nullptr;
}

std::string ImageOf(const json& pod, const std::string& list, const std::string& name) {
  const json& containers = pod["spec"].value(list, json::array());
  for (const json& container : containers) {
    if (container.value("name", "") == name) return container.value("image", "");
  }
  return "";
}

std::string WaitingMessage(int index, const std::string& reason, const std::string& detail,
                           const std::string& image) {
  if (reason == "ImagePullBackOff" || reason == "ErrImagePull" || reason == "InvalidImageName" ||
      reason == "ErrImageNeverPull") {
    return fmt::format(
        "rank {} cannot start: image '{}' cannot be pulled ({}: {}); check the job's "
        "environment image name and the cluster's registry credentials",
        index, image, reason, detail);
  }
  if (reason == "CrashLoopBackOff") {
    return fmt::format("rank {} keeps crashing ({}: {}); read the job's logs for the cause", index,
                       reason, detail);
  }
  return fmt::format("rank {} cannot start ({}: {})", index, reason, detail);
}

// Fills the waiting state of a pending pod from its container statuses.
void ReadWaiting(const json& pod, InstanceView& view) {
  const json& status = pod["status"];
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json& statuses = status.value(list, json::array());
    for (const json& container : statuses) {
      const json& waiting = container.value("state", json::object()).value("waiting", json());
      if (!waiting.is_object()) continue;
      std::string reason = waiting.value("reason", "");
      if (reason.empty() || reason == "PodInitializing" || reason == "ContainerCreating") continue;
      std::string spec_list = std::string(list) == "initContainerStatuses" ? "initContainers"
                                                                          : "containers";
      view.message = WaitingMessage(view.index, reason, waiting.value("message", ""),
                                    ImageOf(pod, spec_list, container.value("name", "")));
      view.fatal = FatalWaitingReasons().contains(reason);
      return;
    }
  }
}

// Fills exit code, signal and message of a pod that failed.
void ReadFailure(const json& pod, InstanceView& view) {
  const json& status = pod["status"];
  const json* init = nullptr;
  const json init_statuses = status.value("initContainerStatuses", json::array());
  for (const json& container : init_statuses) {
    const json& terminated = container.value("state", json::object()).value("terminated", json());
    if (terminated.is_object() && terminated.value("exitCode", 0) != 0) init = &container;
  }
  if (init != nullptr) {
    const json& terminated = (*init)["state"]["terminated"];
    view.exit_code = terminated.value("exitCode", 1);
    view.message = fmt::format("rank {}: init container '{}' failed with exit code {}",
                               view.index, init->value("name", ""), *view.exit_code);
    return;
  }
  const json statuses = status.value("containerStatuses", json::array());
  const json* main = FindContainer(statuses, kMainContainer);
  const json terminated = main == nullptr ? json()
                                          : main->value("state", json::object())
                                                .value("terminated", json());
  if (!terminated.is_object()) {
    view.message = fmt::format("rank {} failed: {}", view.index,
                               status.value("message", status.value("reason", "pod failed")));
    return;
  }
  int code = terminated.value("exitCode", 1);
  view.exit_code = code;
  if (code > 128) view.signal = code - 128;
  std::string reason = terminated.value("reason", "");
  if (reason == "OOMKilled") {
    view.message = fmt::format(
        "rank {} was killed for exceeding its memory limit (OOMKilled); use an instance type "
        "with more memory",
        view.index);
  } else {
    view.message = fmt::format("rank {} failed with exit code {}", view.index, code);
  }
}

}  // namespace

int CompletionIndex(const json& pod) {
  const json& annotations = pod["metadata"].value("annotations", json::object());
  std::string text = annotations.value(kCompletionIndexAnnotation, "");
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(text);
}

InstanceView ViewPod(const json& pod, int index) {
  InstanceView view;
  view.index = index;
  view.pod = pod["metadata"].value("name", "");
  const json& status = pod.value("status", json::object());
  std::string phase = status.value("phase", "Pending");

  const json statuses = status.value("containerStatuses", json::array());
  const json* main = FindContainer(statuses, kMainContainer);
  const json main_state = main == nullptr ? json::object()
                                          : main->value("state", json::object());
  view.logs_available = main_state.contains("running") || main_state.contains("terminated");
  view.scheduled = !pod.value("spec", json::object()).value("nodeName", "").empty();

  if (phase == "Succeeded") {
    view.status = "Completed";
    view.exit_code = 0;
    return view;
  }
  if (phase == "Failed") {
    view.status = "Failed";
    ReadFailure(pod, view);
    return view;
  }
  if (phase == "Running" && main_state.contains("running")) {
    view.status = "Running";
    return view;
  }

  view.status = "Starting";
  const json* scheduled = FindCondition(status, "PodScheduled");
  if (scheduled != nullptr && scheduled->value("status", "") == "False") {
    view.message = fmt::format("rank {} is waiting to be scheduled: {}", index,
                               scheduled->value("message", scheduled->value("reason", "")));
    return view;
  }
  ReadWaiting(pod, view);
  return view;
}

JobView ViewJob(const json& job, const std::vector<json>& pods, int instance_count,
                int64_t timeout_seconds) {
  JobView view;
  // The newest pod of each index is its current attempt.
  std::map<int, const json*> newest;
  for (const json& pod : pods) {
    int index = CompletionIndex(pod);
    if (index < 0) continue;
    auto [it, inserted] = newest.emplace(index, &pod);
    std::string stamp = pod["metadata"].value("creationTimestamp", "");
    if (!inserted && stamp > (*it->second)["metadata"].value("creationTimestamp", "")) {
      it->second = &pod;
    }
  }
  for (const auto& [index, pod] : newest) view.instances[index] = ViewPod(*pod, index);

  const json& status = job.value("status", json::object());
  const json* complete = FindCondition(status, "Complete");
  const json* failed = FindCondition(status, "Failed");
  if (failed == nullptr) failed = FindCondition(status, "FailureTarget");
  if (complete != nullptr && complete->value("status", "") == "True") {
    view.status = "Completed";
    view.exit_code = 0;
    return view;
  }

  // The first failed instance explains the job's failure.
  for (const auto& [index, instance] : view.instances) {
    if (instance.status != "Failed" && !instance.fatal) continue;
    view.status = "Failed";
    view.message = instance.message;
    view.exit_code = instance.exit_code;
    view.signal = instance.signal;
    view.failed_index = index;
    break;
  }
  if (failed != nullptr && failed->value("status", "") == "True") {
    view.status = "Failed";
    if (failed->value("reason", "") == "DeadlineExceeded") {
      view.message = fmt::format("job exceeded its time limit of {} s", timeout_seconds);
      view.failed_index.reset();
    } else if (view.message.empty()) {
      view.message = fmt::format("the Kubernetes Job failed ({}: {})", failed->value("reason", ""),
                                 failed->value("message", ""));
    }
    return view;
  }
  if (view.status == "Failed") return view;

  int running = 0;
  std::vector<std::string> waiting;
  for (const auto& [index, instance] : view.instances) {
    if (instance.status == "Running" || instance.status == "Completed") ++running;
    if (!instance.message.empty()) waiting.push_back(instance.message);
  }
  if (running == instance_count) {
    view.status = "Running";
    return view;
  }
  view.status = "Starting";
  view.message = fmt::format("{}", fmt::join(waiting, "; "));
  return view;
}

}  // namespace ty::executors::kubernetes
