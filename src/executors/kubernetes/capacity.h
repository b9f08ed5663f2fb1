#pragma once

// The cluster's nodes as the executor plans with them: allocatable
// resources, what running pods already request, and whether a job's
// instances fit all at once, so a job never starts some ranks and leaves
// the rest waiting for room.
//
// NOTE: taints and pod affinity are not considered here. A pod that they
// keep off every node waits in Pending, and the executor reports the
// scheduler's message.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"
#include "executors/kubernetes/manifests.h"

namespace ty::executors::kubernetes {

struct NodeResources {
  std::string name;
  std::map<std::string, std::string> labels;
  bool schedulable = true;  // Ready and not cordoned
  int64_t cpu_millis = 0;   // allocatable
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
  int64_t used_cpu_millis = 0;  // requested by pods bound to the node that have not ended
  int64_t used_memory_bytes = 0;
  int64_t used_gpus = 0;
};

// Reads a NodeList, and from a PodList (may be null) what each node's
// running and pending pods request.
std::vector<NodeResources> ReadNodes(const nlohmann::json& node_list,
                                     const nlohmann::json* pod_list);

// Returns the nodes as the agent reports capacity: schedulable nodes that
// `node_selector` admits, with GPU model and memory from the labels that
// NVIDIA's GPU feature discovery sets (nvidia.com/gpu.product,
// nvidia.com/gpu.memory in MiB) when present.
std::vector<agent::NodeCapacity> ToCapacity(const std::vector<NodeResources>& nodes,
                                            const std::map<std::string, std::string>& node_selector);

struct FitResult {
  bool ever = false;  // all instances fit on the cluster when it is empty
  bool now = false;   // the free resources hold all instances now
  // Why not: names the resource, the request and what the nodes have.
  std::string message;
};

// Checks whether `instances` pods of `resources` fit on the schedulable
// nodes that their node selector (plus `cluster_selector` and
// kubernetes.io/os: linux) admits. `device_plugin` describes the GPU
// device plugin for the message when GPUs are missing.
FitResult CheckFit(const std::vector<NodeResources>& nodes, const PodResources& resources,
                   const std::map<std::string, std::string>& cluster_selector, int instances,
                   const std::string& device_plugin);

// "cpu 4, memory 16Gi, nvidia.com/gpu 1".
std::string DescribeRequest(const PodResources& resources);

}  // namespace ty::executors::kubernetes
