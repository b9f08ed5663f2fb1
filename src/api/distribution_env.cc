#include "api/distribution_env.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {

absl::StatusOr<DistributionType> ParseDistributionType(std::string_view name) {
  for (DistributionType type : {DistributionType::kNone, DistributionType::kPyTorch,
                                DistributionType::kMpi, DistributionType::kTensorFlow}) {
    if (DistributionTypeName(type) == name) return type;
  }
  return InvalidField("distribution.type",
                       fmt::format("distribution type '{}' is not supported; use pytorch, mpi "
                                   "or tensorflow",
                                   name));
}

absl::StatusOr<ProcessLayout> LayoutOfJob(const JobSpec& spec) {
  ProcessLayout layout;
  layout.type = spec.distribution.type;
  layout.instance_count = static_cast<int>(spec.instance_count);
  switch (spec.distribution.type) {
    case DistributionType::kNone:
      break;
    case DistributionType::kPyTorch:
    case DistributionType::kMpi:
      layout.processes_per_instance =
          static_cast<int>(spec.distribution.process_count_per_instance);
      break;
    case DistributionType::kTensorFlow: {
      int64_t workers = spec.distribution.worker_count.value_or(spec.instance_count);
      int64_t parameter_servers = spec.distribution.parameter_server_count;
      int64_t tasks = workers + parameter_servers;
      if (tasks % spec.instance_count != 0) {
        return InvalidField(
            "distribution.worker_count",
            fmt::format("{} workers plus {} parameter servers make {} tasks, which do not "
                        "divide evenly over resources.instance_count {}; set "
                        "distribution.worker_count so that worker_count + "
                        "parameter_server_count is a multiple of instance_count",
                        workers, parameter_servers, tasks, spec.instance_count));
      }
      layout.processes_per_instance = static_cast<int>(tasks / spec.instance_count);
      layout.parameter_server_count = static_cast<int>(parameter_servers);
      break;
    }
  }
  RETURN_IF_ERROR(ValidateLayout(layout));
  return layout;
}

absl::Status ValidateLayout(const ProcessLayout& layout) {
  if (layout.instance_count < 1) {
    return InvalidField("resources.instance_count",
                         fmt::format("resources.instance_count is {}; it must be 1 or more",
                                     layout.instance_count));
  }
  if (layout.processes_per_instance < 1) {
    return InvalidField("distribution.process_count_per_instance",
                         fmt::format("distribution.process_count_per_instance is {}; it must be "
                                     "1 or more",
                                     layout.processes_per_instance));
  }
  int64_t world_size = int64_t{layout.instance_count} * layout.processes_per_instance;
  if (world_size > kMaxWorldSize) {
    return InvalidField(
        layout.type == DistributionType::kTensorFlow ? "distribution.worker_count"
                                                     : "distribution.process_count_per_instance",
        fmt::format("the job would run {} processes in all ({} instances x {} per instance); "
                    "one job runs at most {}, so lower resources.instance_count or the "
                    "processes per instance",
                    world_size, layout.instance_count, layout.processes_per_instance,
                    kMaxWorldSize));
  }
  bool tensorflow = layout.type == DistributionType::kTensorFlow;
  if (layout.parameter_server_count < 0 || (!tensorflow && layout.parameter_server_count != 0)) {
    return InvalidField("distribution.parameter_server_count",
                         fmt::format("distribution.parameter_server_count is {}; it must be 0, "
                                     "or more for tensorflow only",
                                     layout.parameter_server_count));
  }
  if (layout.parameter_server_count >= layout.WorldSize()) {
    return InvalidField(
        "distribution.parameter_server_count",
        fmt::format("distribution.parameter_server_count is {} but the job runs {} tasks in "
                    "all; leave at least one task as a worker by raising "
                    "resources.instance_count or distribution.worker_count",
                    layout.parameter_server_count, layout.WorldSize()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProcessLayout> MakeLayout(std::string_view type_name, int instance_count,
                                         int processes_per_instance,
                                         int parameter_server_count) {
  ASSIGN_OR_RETURN(DistributionType type, ParseDistributionType(type_name));
  ProcessLayout layout{.type = type,
                       .instance_count = instance_count,
                       .processes_per_instance = processes_per_instance,
                       .parameter_server_count = parameter_server_count};
  RETURN_IF_ERROR(ValidateLayout(layout));
  return layout;
}

RankPosition PositionOfRank(const ProcessLayout& layout, int rank) {
  return {.rank = rank,
          .node_rank = rank / layout.processes_per_instance,
          .local_rank = rank % layout.processes_per_instance};
}

std::map<std::string, std::string> JobWideVariables(const ProcessLayout& layout,
                                                    const std::string& master_address,
                                                    int master_port) {
  std::map<std::string, std::string> variables = {
      {"WORLD_SIZE", std::to_string(layout.WorldSize())},
      {"LOCAL_WORLD_SIZE", std::to_string(layout.processes_per_instance)},
  };
  if (layout.type == DistributionType::kPyTorch) {
    std::string port = std::to_string(master_port);
    variables["MASTER_ADDR"] = master_address;
    variables["MASTER_PORT"] = port;
    // torchrun reads its options from PET_* variables, so a script started
    // with torchrun inside the job finds the same rendezvous.
    variables["PET_NNODES"] = std::to_string(layout.instance_count);
    variables["PET_NPROC_PER_NODE"] = std::to_string(layout.processes_per_instance);
    variables["PET_MASTER_ADDR"] = master_address;
    variables["PET_MASTER_PORT"] = port;
  }
  return variables;
}

std::map<std::string, std::string> PerRankVariables(const ProcessLayout& layout, int rank) {
  RankPosition position = PositionOfRank(layout, rank);
  std::map<std::string, std::string> variables = {
      {"RANK", std::to_string(position.rank)},
      {"LOCAL_RANK", std::to_string(position.local_rank)},
      {"NODE_RANK", std::to_string(position.node_rank)},
  };
  if (layout.type == DistributionType::kPyTorch) {
    variables["GROUP_RANK"] = std::to_string(position.node_rank);
    variables["PET_NODE_RANK"] = std::to_string(position.node_rank);
  }
  return variables;
}

TensorFlowTask TensorFlowTaskOfRank(const ProcessLayout& layout, int rank) {
  int workers = layout.WorkerCount();
  if (rank < workers) return {.type = "worker", .index = rank};
  return {.type = "ps", .index = rank - workers};
}

std::string TensorFlowClusterJson(const ProcessLayout& layout,
                                  const std::function<std::string(int rank)>& address_of_rank) {
  nlohmann::json workers = nlohmann::json::array();
  nlohmann::json parameter_servers = nlohmann::json::array();
  for (int rank = 0; rank < layout.WorldSize(); ++rank) {
    bool is_worker = rank < layout.WorkerCount();
    (is_worker ? workers : parameter_servers).push_back(address_of_rank(rank));
  }
  nlohmann::json cluster = {{"worker", workers}};
  if (!parameter_servers.empty()) cluster["ps"] = parameter_servers;
  return cluster.dump();
}

std::string TensorFlowConfig(const ProcessLayout& layout, const std::string& cluster_json,
                             int rank) {
  TensorFlowTask task = TensorFlowTaskOfRank(layout, rank);
  nlohmann::json config = {{"cluster", nlohmann::json::parse(cluster_json)},
                           {"task", {{"type", task.type}, {"index", task.index}}}};
  return config.dump();
}

std::string MpiHostfile(const ProcessLayout& layout, const std::vector<std::string>& hosts) {
  // Instances that share a host are merged into one line with all their
  // slots, so the hostfile states each host's slots once.
  std::vector<std::pair<std::string, int>> slots;
  for (const std::string& host : hosts) {
    auto known = std::find_if(slots.begin(), slots.end(),
                              [&](const auto& entry) { return entry.first == host; });
    if (known == slots.end()) {
      slots.emplace_back(host, layout.processes_per_instance);
    } else {
      known->second += layout.processes_per_instance;
    }
  }
  std::string hostfile;
  for (const auto& [host, count] : slots) hostfile += fmt::format("{} slots={}\n", host, count);
  return hostfile;
}

std::vector<std::string> MpirunArguments(const ProcessLayout& layout,
                                         const MpirunOptions& options) {
  std::vector<std::string> arguments = {"-np", std::to_string(layout.WorldSize()),
                                        "--oversubscribe"};
  if (!options.hostfile.empty()) {
    arguments.insert(arguments.end(), {"--hostfile", options.hostfile});
  }
  if (options.as_root) arguments.push_back("--allow-run-as-root");
  if (options.loopback_only) {
    // The ob1 messaging layer over TCP on "lo" works without shared memory
    // or network devices, which containers and sandboxes often lack.
    arguments.insert(arguments.end(),
                     {"--mca", "pml", "ob1", "--mca", "btl", "self,tcp", "--mca",
                      "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"});
  }
  return arguments;
}

std::map<std::string, std::string> MpiRootVariables() {
  return {{"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}};
}

}  // namespace ty::api
