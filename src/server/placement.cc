#include "server/placement.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ty::server {
namespace {

// Tolerates rounding in CPU arithmetic (requests like 0.1 add up inexactly).
constexpr double kCpuEpsilon = 1e-6;

bool Fits(const NodeResources& node, const GangRequest& request) {
  return node.cpus + kCpuEpsilon >= request.cpus && node.memory_bytes >= request.memory_bytes &&
         node.gpus >= request.gpus;
}

std::string FormatGiB(int64_t bytes) {
  return absl::StrFormat("%.1f GiB", static_cast<double>(bytes) / (int64_t{1} << 30));
}

std::string FormatCpus(double cpus) { return absl::StrFormat("%g CPU", cpus); }

}  // namespace

std::vector<NodeResources> NodesFromCapacity(const nlohmann::json& capacity) {
  std::vector<NodeResources> nodes;
  if (!capacity.is_object() || !capacity.contains("nodes") || !capacity["nodes"].is_array()) {
    return nodes;
  }
  for (const nlohmann::json& node : capacity["nodes"]) {
    if (!node.is_object()) continue;
    NodeResources resources;
    resources.name = node.value("name", "");
    if (node.contains("cpus") && node["cpus"].is_number()) resources.cpus = node["cpus"].get<double>();
    if (node.contains("memoryBytes") && node["memoryBytes"].is_number_integer()) {
      resources.memory_bytes = node["memoryBytes"].get<int64_t>();
    }
    if (node.contains("gpus") && node["gpus"].is_array()) {
      resources.gpus = static_cast<int64_t>(node["gpus"].size());
    }
    nodes.push_back(resources);
  }
  return nodes;
}

std::optional<std::vector<size_t>> PlaceGang(std::vector<NodeResources>& free,
                                             const GangRequest& request) {
  std::vector<NodeResources> trial = free;
  std::vector<size_t> placement;
  for (int64_t instance = 0; instance < request.instances; ++instance) {
    bool placed = false;
    for (size_t node = 0; node < trial.size(); ++node) {
      if (!Fits(trial[node], request)) continue;
      trial[node].cpus -= request.cpus;
      trial[node].memory_bytes -= request.memory_bytes;
      trial[node].gpus -= request.gpus;
      placement.push_back(node);
      placed = true;
      break;
    }
    if (!placed) return std::nullopt;
  }
  free = std::move(trial);
  return placement;
}

std::string DescribeWait(const std::vector<NodeResources>& free, const GangRequest& request) {
  std::vector<std::string> asked = {FormatCpus(request.cpus), FormatGiB(request.memory_bytes)};
  if (request.gpus > 0) asked.push_back(absl::StrCat(request.gpus, " GPU"));
  std::vector<std::string> nodes;
  for (const NodeResources& node : free) {
    std::string text = absl::StrCat("node '", node.name, "' has ", FormatCpus(std::max(0.0, node.cpus)),
                                    ", ", FormatGiB(std::max<int64_t>(0, node.memory_bytes)));
    if (request.gpus > 0) absl::StrAppend(&text, ", ", std::max<int64_t>(0, node.gpus), " GPU");
    nodes.push_back(text + " free");
  }
  return absl::StrCat("waiting for capacity: ", request.instances, " instance(s) of ",
                      absl::StrJoin(asked, ", "), " each; ",
                      nodes.empty() ? "the cluster reported no nodes" : absl::StrJoin(nodes, "; "));
}

}  // namespace ty::server
