#pragma once

// Gang placement: a job's instances start together or not at all, so the
// scheduler places every instance before it assigns the job. Pure functions
// over capacity numbers, so they are easy to test.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ty::server {

// Free or total resources of one node.
struct NodeResources {
  std::string name;
  double cpus = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
};

// Resources that each of a job's `instances` instances requests.
struct GangRequest {
  int64_t instances = 1;
  double cpus = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
};

// Reads the capacity an agent reported ({"nodes": [{"name", "cpus",
// "memoryBytes", "gpus": [...]}]}). A malformed report yields no nodes.
std::vector<NodeResources> NodesFromCapacity(const nlohmann::json& capacity);

// Places every instance on a node with room for it, first fit over nodes in
// order, and subtracts what it takes from `free`. Returns the node index of
// each instance, or nullopt (leaving `free` unchanged) when the whole gang
// does not fit now.
std::optional<std::vector<size_t>> PlaceGang(std::vector<NodeResources>& free,
                                             const GangRequest& request);

// Explains why `request` does not fit in `free` now, for a queued job's
// status message, e.g. "waiting for 2 instances of 1 CPU, 2.0 GiB: 1 CPU
// free on node 'host'".
std::string DescribeWait(const std::vector<NodeResources>& free, const GangRequest& request);

}  // namespace ty::server
