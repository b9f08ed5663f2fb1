#include "executors/kubernetes/capacity.h"

#include <algorithm>

#include <fmt/format.h>

#include "api/quantity.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

int64_t CpuOf(const json& list) {
  if (!list.is_object() || !list.contains("cpu") || !list["cpu"].is_string()) return 0;
  absl::StatusOr<int64_t> millis = api::ParseCpuMillis("cpu", list["cpu"].get<std::string>());
  return millis.ok() ? *millis : 0;
}

int64_t MemoryOf(const json& list) {
  if (!list.is_object() || !list.contains("memory") || !list["memory"].is_string()) return 0;
  absl::StatusOr<int64_t> bytes =
      api::ParseMemoryBytes("memory", list["memory"].get<std::string>());
  return bytes.ok() ? *bytes : 0;
}

int64_t GpusOf(const json& list) {
  std::string key(api::kGpuResource);
  if (!list.is_object() || !list.contains(key) || !list[key].is_string()) return 0;
  absl::StatusOr<int64_t> count = api::ParseCount(key, list[key].get<std::string>());
  return count.ok() ? *count : 0;
}

// A pod requests what its containers request, or their limits where a
// request is unset, as the API server defaults them.
void AddPodRequests(const json& pod, NodeResources& node) {
  for (const json& container : pod["spec"].value("containers", json::array())) {
    const json& resources = container.value("resources", json::object());
    json effective = resources.value("limits", json::object());
    const json requests = resources.value("requests", json::object());
    for (const auto& [key, value] : requests.items()) {
      effective[key] = value;
    }
    node.used_cpu_millis += CpuOf(effective);
    node.used_memory_bytes += MemoryOf(effective);
    node.used_gpus += GpusOf(effective);
  }
}

bool Admits(const NodeResources& node, const std::map<std::string, std::string>& selector) {
  for (const auto& [key, value] : selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) return false;
  }
  return true;
}

// How many instances fit into the given free resources.
int64_t InstancesThatFit(int64_t cpu, int64_t memory, int64_t gpus, const api::ResourceList& ask) {
  int64_t count = INT64_MAX;
  if (ask.cpu_millis.value_or(0) > 0) count = std::min(count, cpu / *ask.cpu_millis);
  if (ask.memory_bytes.value_or(0) > 0) count = std::min(count, memory / *ask.memory_bytes);
  if (ask.gpus.value_or(0) > 0) count = std::min(count, gpus / *ask.gpus);
  return std::max<int64_t>(count, 0);
}

std::string DescribeNode(const NodeResources& node) {
  return fmt::format("'{}' (cpu {}, memory {}, {} {})", node.name,
                     api::FormatCpuMillis(node.cpu_millis),
                     api::FormatMemoryBytes(node.memory_bytes), api::kGpuResource, node.gpus);
}

std::string SelectorText(const std::map<std::string, std::string>& selector) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : selector) parts.push_back(fmt::format("{}={}", key, value));
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace

std::vector<NodeResources> ReadNodes(const json& node_list, const json* pod_list) {
  std::vector<NodeResources> nodes;
  for (const json& item : node_list.value("items", json::array())) {
    NodeResources node;
    node.name = item["metadata"].value("name", "");
    const json labels = item["metadata"].value("labels", json::object());
    for (const auto& [key, value] : labels.items()) {
      if (value.is_string()) node.labels[key] = value.get<std::string>();
    }
    const json& status = item.value("status", json::object());
    const json& allocatable = status.value("allocatable", json::object());
    node.cpu_millis = CpuOf(allocatable);
    node.memory_bytes = MemoryOf(allocatable);
    node.gpus = GpusOf(allocatable);
    bool ready = false;
    for (const json& condition : status.value("conditions", json::array())) {
      if (condition.value("type", "") == "Ready") ready = condition.value("status", "") == "True";
    }
    node.schedulable = ready && !item.value("spec", json::object()).value("unschedulable", false);
    nodes.push_back(std::move(node));
  }
  if (pod_list == nullptr) return nodes;
  for (const json& pod : pod_list->value("items", json::array())) {
    std::string phase = pod.value("status", json::object()).value("phase", "");
    if (phase == "Succeeded" || phase == "Failed") continue;
    std::string bound = pod.value("spec", json::object()).value("nodeName", "");
    for (NodeResources& node : nodes) {
      if (node.name == bound) AddPodRequests(pod, node);
    }
  }
  return nodes;
}

std::vector<agent::NodeCapacity> ToCapacity(
    const std::vector<NodeResources>& nodes,
    const std::map<std::string, std::string>& node_selector) {
  std::vector<agent::NodeCapacity> capacity;
  for (const NodeResources& node : nodes) {
    if (!node.schedulable || !Admits(node, node_selector)) continue;
    agent::NodeCapacity entry{.name = node.name,
                              .cpus = static_cast<double>(node.cpu_millis) / 1000.0,
                              .memory_bytes = node.memory_bytes};
    auto product = node.labels.find("nvidia.com/gpu.product");
    auto memory = node.labels.find("nvidia.com/gpu.memory");
    int64_t gpu_memory_mib = 0;
    if (memory != node.labels.end()) {
      absl::StatusOr<int64_t> parsed = api::ParseCount("nvidia.com/gpu.memory", memory->second);
      if (parsed.ok()) gpu_memory_mib = *parsed;
    }
    for (int64_t i = 0; i < node.gpus; ++i) {
      entry.gpus.push_back({.index = static_cast<int>(i),
                            .model = product == node.labels.end() ? std::string(api::kGpuResource)
                                                                  : product->second,
                            .memory_bytes = gpu_memory_mib * 1024 * 1024});
    }
    capacity.push_back(std::move(entry));
  }
  return capacity;
}

std::string DescribeRequest(const PodResources& resources) {
  api::ResourceList ask = resources.requests;
  if (!ask.cpu_millis) ask.cpu_millis = resources.limits.cpu_millis;
  if (!ask.memory_bytes) ask.memory_bytes = resources.limits.memory_bytes;
  if (!ask.gpus) ask.gpus = resources.limits.gpus;
  std::vector<std::string> parts;
  if (ask.cpu_millis) parts.push_back("cpu " + api::FormatCpuMillis(*ask.cpu_millis));
  if (ask.memory_bytes) parts.push_back("memory " + api::FormatMemoryBytes(*ask.memory_bytes));
  if (ask.gpus) parts.push_back(fmt::format("{} {}", api::kGpuResource, *ask.gpus));
  return parts.empty() ? "no resources" : fmt::format("{}", fmt::join(parts, ", "));
}

FitResult CheckFit(const std::vector<NodeResources>& nodes, const PodResources& resources,
                   const std::map<std::string, std::string>& cluster_selector, int instances,
                   const std::string& device_plugin) {
  std::map<std::string, std::string> selector = cluster_selector;
  selector["kubernetes.io/os"] = "linux";
  for (const auto& [key, value] : resources.node_selector) selector[key] = value;
  // Kubernetes schedules by requests, and a request left unset takes its limit.
  api::ResourceList ask = resources.requests;
  if (!ask.cpu_millis) ask.cpu_millis = resources.limits.cpu_millis;
  if (!ask.memory_bytes) ask.memory_bytes = resources.limits.memory_bytes;
  if (!ask.gpus) ask.gpus = resources.limits.gpus;
  std::string request = DescribeRequest(resources);

  std::vector<const NodeResources*> eligible;
  for (const NodeResources& node : nodes) {
    if (node.schedulable && Admits(node, selector)) eligible.push_back(&node);
  }
  FitResult result;
  if (eligible.empty()) {
    std::vector<std::string> names;
    for (const NodeResources& node : nodes) {
      names.push_back(fmt::format("'{}'{}", node.name, node.schedulable ? "" : " (not schedulable)"));
    }
    result.message = fmt::format(
        "no schedulable node matches the node selector {} (nodes: {}); fix the instance type's "
        "node selector or label a node with `kubectl label node`",
        SelectorText(selector), names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
    return result;
  }

  int64_t gpu_nodes = std::count_if(eligible.begin(), eligible.end(),
                                    [](const NodeResources* node) { return node->gpus > 0; });
  if (ask.gpus.value_or(0) > 0 && gpu_nodes == 0) {
    result.message = fmt::format(
        "the job asks for {} {} per instance but the compute has no schedulable GPUs: no node "
        "that the job may use advertises {} ({}); install the NVIDIA driver and device plugin "
        "(extension setting installNvidiaDevicePlugin=True) or use an instance type without GPUs",
        *ask.gpus, api::kGpuResource, api::kGpuResource, device_plugin);
    return result;
  }

  int64_t ever = 0, now = 0;
  const NodeResources* largest = eligible.front();
  for (const NodeResources* node : eligible) {
    ever += InstancesThatFit(node->cpu_millis, node->memory_bytes, node->gpus, ask);
    now += InstancesThatFit(node->cpu_millis - node->used_cpu_millis,
                            node->memory_bytes - node->used_memory_bytes,
                            node->gpus - node->used_gpus, ask);
    if (node->cpu_millis > largest->cpu_millis) largest = node;
  }
  result.ever = ever >= instances;
  result.now = now >= instances;
  if (!result.ever) {
    result.message =
        ever == 0 ? fmt::format("an instance asks for {}, more than any node has: the largest "
                                "node is {}; use a smaller instance type",
                                request, DescribeNode(*largest))
                  : fmt::format("the job needs {} instances of ({}) at once but the nodes hold at "
                                "most {}; lower instance_count or use a smaller instance type",
                                instances, request, ever);
  } else if (!result.now) {
    result.message = fmt::format(
        "waiting for room for {} instances of ({}) at once; the free resources hold {} now",
        instances, request, now);
  }
  return result;
}

}  // namespace ty::executors::kubernetes
