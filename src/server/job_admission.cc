#include "server/job_admission.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/quantity.h"
#include "common/errors.h"
#include "server/placement.h"

namespace ty::server {
namespace {

constexpr std::string_view kField = "resources.instance_type";

std::string FormatCpus(double cpus) {
  return api::FormatCpuMillis(static_cast<int64_t>(cpus * 1000 + 0.5));
}

std::string DescribeNode(const NodeResources& node) {
  return fmt::format("node '{}' has {} CPUs, {} memory and {} GPUs allocatable", node.name,
                     FormatCpus(node.cpus), api::FormatMemoryBytes(node.memory_bytes), node.gpus);
}

std::string DescribeRequest(const GangRequest& request) {
  return fmt::format("{} CPUs, {} memory and {} GPUs", FormatCpus(request.cpus),
                     api::FormatMemoryBytes(request.memory_bytes), request.gpus);
}

// The node with the most of the first resource that no node can give one
// instance; with several candidates, the one with the most CPUs.
const NodeResources& LargestNode(const std::vector<NodeResources>& nodes,
                                 const GangRequest& request) {
  auto by = [&](auto member) -> const NodeResources& {
    return *std::max_element(nodes.begin(), nodes.end(), [&](const auto& a, const auto& b) {
      return a.*member < b.*member;
    });
  };
  const NodeResources& most_gpus = by(&NodeResources::gpus);
  if (request.gpus > most_gpus.gpus) return most_gpus;
  const NodeResources& most_cpus = by(&NodeResources::cpus);
  if (request.cpus > most_cpus.cpus) return most_cpus;
  const NodeResources& most_memory = by(&NodeResources::memory_bytes);
  if (request.memory_bytes > most_memory.memory_bytes) return most_memory;
  return most_cpus;
}

absl::Status NoGpus(const AdmissionRequest& request, int64_t gpus) {
  std::string cause =
      request.settings.install_nvidia_device_plugin
          ? fmt::format("installNvidiaDevicePlugin is True on extension '{}', so check that the "
                        "nodes have NVIDIA GPUs with a working driver",
                        request.extension_name)
          : fmt::format("installNvidiaDevicePlugin is False on extension '{}', so the GPU device "
                        "plugin is not installed; enable it with `trainyard k8s-extension update "
                        "... --configuration-settings installNvidiaDevicePlugin=True`",
                        request.extension_name);
  return FieldError(absl::StatusCode::kFailedPrecondition, kField,
                    fmt::format("instance type '{}' requests {} GPUs per instance, but compute "
                                "'{}' has no schedulable GPUs: its nodes report none, and {}",
                                request.instance_type.name, gpus, request.compute, cause));
}

// Names the first resource whose total over all instances exceeds the
// compute's total, or says that the instances cannot be packed at once.
absl::Status NeverFits(const AdmissionRequest& request, const GangRequest& gang,
                       const std::vector<NodeResources>& nodes) {
  NodeResources total;
  for (const NodeResources& node : nodes) {
    total.cpus += node.cpus;
    total.memory_bytes += node.memory_bytes;
    total.gpus += node.gpus;
  }
  std::string prefix = fmt::format("the job runs {} instance{} of instance type '{}' at once",
                                   gang.instances, gang.instances == 1 ? "" : "s",
                                   request.instance_type.name);
  std::string detail;
  if (gang.gpus * gang.instances > total.gpus) {
    detail = fmt::format("they ask for {} GPUs in total, but compute '{}' has {} GPUs",
                         gang.gpus * gang.instances, request.compute, total.gpus);
  } else if (gang.cpus * gang.instances > total.cpus + 1e-6) {
    detail = fmt::format("they ask for {} CPUs in total, but compute '{}' has {} CPUs",
                         FormatCpus(gang.cpus * gang.instances), request.compute,
                         FormatCpus(total.cpus));
  } else if (gang.memory_bytes * gang.instances > total.memory_bytes) {
    detail = fmt::format("they ask for {} memory in total, but compute '{}' has {}",
                         api::FormatMemoryBytes(gang.memory_bytes * gang.instances),
                         request.compute, api::FormatMemoryBytes(total.memory_bytes));
  } else {
    detail = fmt::format("each asks for {}, and the nodes of compute '{}' cannot hold all of "
                         "them together",
                         DescribeRequest(gang), request.compute);
  }
  return FieldError(absl::StatusCode::kFailedPrecondition, kField,
                    fmt::format("{}: {}; lower resources.instance_count or use a smaller "
                                "instance type",
                                prefix, detail));
}

}  // namespace

absl::Status CheckJobFits(const AdmissionRequest& request, const nlohmann::json& capacity) {
  api::ResourceList requests = api::EffectiveRequests(request.instance_type);
  GangRequest gang;
  gang.instances = request.instance_count;
  gang.cpus = static_cast<double>(requests.cpu_millis.value_or(0)) / 1000;
  gang.memory_bytes = requests.memory_bytes.value_or(0);
  gang.gpus = requests.gpus.value_or(0);

  std::vector<NodeResources> nodes = NodesFromCapacity(capacity);
  if (nodes.empty()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, kField,
                      fmt::format("compute '{}' reported no nodes, so no job can run on it; "
                                  "check the cluster's agent",
                                  request.compute));
  }

  int64_t total_gpus = 0;
  for (const NodeResources& node : nodes) total_gpus += node.gpus;
  if (gang.gpus > 0 && total_gpus == 0) return NoGpus(request, gang.gpus);

  GangRequest one = gang;
  one.instances = 1;
  std::vector<NodeResources> free = nodes;
  if (!PlaceGang(free, one)) {
    return FieldError(absl::StatusCode::kFailedPrecondition, kField,
                      fmt::format("instance type '{}' requests {} per instance, but no node of "
                                  "compute '{}' can hold that: the largest, {}; use a smaller "
                                  "instance type",
                                  request.instance_type.name, DescribeRequest(gang),
                                  request.compute, DescribeNode(LargestNode(nodes, gang))));
  }

  free = nodes;
  if (!PlaceGang(free, gang)) return NeverFits(request, gang, nodes);
  return absl::OkStatus();
}

}  // namespace ty::server
