#include "executors/local/rank_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "executors/local/file_util.h"
#include "executors/local/job_layout.h"

namespace ty::executors::local {
namespace {

constexpr char kLoopback[] = "127.0.0.1";

std::string TfConfig(const std::vector<int>& ports, int worker_count, int rank) {
  nlohmann::json workers = nlohmann::json::array();
  nlohmann::json parameter_servers = nlohmann::json::array();
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string address = fmt::format("{}:{}", kLoopback, ports[i]);
    if (static_cast<int>(i) < worker_count) {
      workers.push_back(address);
    } else {
      parameter_servers.push_back(address);
    }
  }
  nlohmann::json cluster = {{"worker", workers}};
  if (!parameter_servers.empty()) cluster["ps"] = parameter_servers;
  bool is_worker = rank < worker_count;
  nlohmann::json task = {{"type", is_worker ? "worker" : "ps"},
                         {"index", is_worker ? rank : rank - worker_count}};
  return nlohmann::json({{"cluster", cluster}, {"task", task}}).dump();
}

bool IsInherited(const std::string& name) {
  static const char* const kNames[] = {"PATH",    "HOME",        "LANG",        "LANGUAGE",
                                       "USER",    "LOGNAME",     "SHELL",       "TMPDIR",
                                       "TZ",      "HTTP_PROXY",  "HTTPS_PROXY", "NO_PROXY",
                                       "http_proxy", "https_proxy", "no_proxy"};
  if (name.starts_with("LC_")) return true;
  for (const char* known : kNames) {
    if (name == known) return true;
  }
  return false;
}

// Adds the loopback names to a NO_PROXY list that lacks them.
std::string WithLoopback(const std::string& no_proxy) {
  std::vector<std::string> entries;
  if (!no_proxy.empty()) entries = absl::StrSplit(no_proxy, ',');
  for (const char* host : {"127.0.0.1", "localhost", "::1"}) {
    if (std::find(entries.begin(), entries.end(), host) == entries.end()) entries.push_back(host);
  }
  return absl::StrJoin(entries, ",");
}

}  // namespace

std::map<std::string, std::string> BuildJobEnvironment(const agent::LaunchSpec& spec,
                                                       const std::string& outputs_dir,
                                                       char** agent_environ) {
  std::map<std::string, std::string> env;
  for (char** entry = agent_environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    std::string name(text.substr(0, equals));
    if (IsInherited(name)) env[name] = std::string(text.substr(equals + 1));
  }
  if (!env.contains("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";

  for (const auto& [name, value] : spec.environment) env[name] = value;
  env["TRAINYARD_JOB_ID"] = spec.job_id;
  env["TRAINYARD_OUTPUTS_DIR"] = outputs_dir;

  bool has_proxy = false;
  for (const char* name : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}) {
    has_proxy |= env.contains(name) && !env[name].empty();
  }
  if (has_proxy) {
    env["NO_PROXY"] = WithLoopback(env["NO_PROXY"]);
    env["no_proxy"] = WithLoopback(env["no_proxy"]);
  }
  return env;
}

int WorldSize(const agent::LaunchSpec& spec) {
  return spec.instance_count * spec.processes_per_instance;
}

absl::Status ValidateDistribution(const agent::LaunchSpec& spec) {
  if (spec.instance_count < 1) {
    return absl::InvalidArgumentError(fmt::format(
        "resources.instance_count is {}; it must be 1 or more", spec.instance_count));
  }
  if (spec.processes_per_instance < 1) {
    return absl::InvalidArgumentError(
        fmt::format("distribution.process_count_per_instance is {}; it must be 1 or more",
                    spec.processes_per_instance));
  }
  const std::string& type = spec.distribution;
  if (type != "" && type != "pytorch" && type != "mpi" && type != "tensorflow") {
    return absl::InvalidArgumentError(fmt::format(
        "distribution type '{}' is not supported; use pytorch, mpi or tensorflow", type));
  }
  if (spec.parameter_server_count < 0 ||
      (type != "tensorflow" && spec.parameter_server_count != 0)) {
    return absl::InvalidArgumentError(fmt::format(
        "distribution.parameter_server_count is {}; it must be 0, or more for tensorflow only",
        spec.parameter_server_count));
  }
  if (spec.parameter_server_count >= WorldSize(spec)) {
    return absl::InvalidArgumentError(fmt::format(
        "distribution.parameter_server_count is {} but the job runs {} processes in all; "
        "leave at least one process as a worker",
        spec.parameter_server_count, WorldSize(spec)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> PickFreePorts(int count) {
  // Every socket stays bound until all are picked, so the ports differ.
  std::vector<int> sockets;
  std::vector<int> ports;
  absl::Status status = absl::OkStatus();
  for (int i = 0; i < count && status.ok(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      status = absl::InternalError(fmt::format("create socket: {}", ErrnoText(errno)));
      break;
    }
    sockets.push_back(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      status = absl::InternalError(
          fmt::format("pick a free port on {}: {}", kLoopback, ErrnoText(errno)));
      break;
    }
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) close(fd);
  RETURN_IF_ERROR(status);
  return ports;
}

absl::StatusOr<std::vector<RankPlan>> PlanRanks(const agent::LaunchSpec& spec,
                                                const std::vector<std::vector<int>>& gpus_per_node,
                                                bool host_has_gpus, const PortPicker& pick_ports) {
  const std::string& type = spec.distribution;
  int world = WorldSize(spec);
  int per_node = spec.processes_per_instance;

  std::vector<int> ports;
  if (type == "pytorch") {
    ASSIGN_OR_RETURN(ports, pick_ports(1));
  } else if (type == "tensorflow") {
    ASSIGN_OR_RETURN(ports, pick_ports(world));
  }

  auto gpu_list = [&](int node) {
    if (node >= static_cast<int>(gpus_per_node.size())) return std::string();
    return absl::StrJoin(gpus_per_node[node], ",");
  };

  // An MPI job is one launcher; mpirun starts and numbers the processes.
  if (type == "mpi") {
    RankPlan launcher;
    if (host_has_gpus) {
      std::vector<int> all;
      for (const std::vector<int>& node : gpus_per_node) all.insert(all.end(), node.begin(), node.end());
      launcher.environment["CUDA_VISIBLE_DEVICES"] = absl::StrJoin(all, ",");
    }
    if (geteuid() == 0) {
      launcher.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
      launcher.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
    }
    return std::vector<RankPlan>{launcher};
  }

  std::vector<RankPlan> ranks;
  for (int rank = 0; rank < world; ++rank) {
    RankPlan plan;
    plan.rank = rank;
    plan.node_rank = rank / per_node;
    plan.local_rank = rank % per_node;
    auto& env = plan.environment;
    if (world > 1 || !type.empty()) {
      env["RANK"] = std::to_string(rank);
      env["LOCAL_RANK"] = std::to_string(plan.local_rank);
      env["NODE_RANK"] = std::to_string(plan.node_rank);
      env["WORLD_SIZE"] = std::to_string(world);
      env["LOCAL_WORLD_SIZE"] = std::to_string(per_node);
    }
    if (type == "pytorch") {
      env["MASTER_ADDR"] = kLoopback;
      env["MASTER_PORT"] = std::to_string(ports[0]);
      env["GROUP_RANK"] = std::to_string(plan.node_rank);
      env["PET_NPROC_PER_NODE"] = std::to_string(per_node);
      env["PET_NNODES"] = std::to_string(spec.instance_count);
      env["PET_NODE_RANK"] = std::to_string(plan.node_rank);
      env["PET_MASTER_ADDR"] = kLoopback;
      env["PET_MASTER_PORT"] = std::to_string(ports[0]);
    }
    if (type == "tensorflow") {
      env["TF_CONFIG"] = TfConfig(ports, world - spec.parameter_server_count, rank);
    }
    if (host_has_gpus) env["CUDA_VISIBLE_DEVICES"] = gpu_list(plan.node_rank);
    ranks.push_back(std::move(plan));
  }
  return ranks;
}

std::string MpiHostfile(const agent::LaunchSpec& spec) {
  return fmt::format("localhost slots={}\n", WorldSize(spec));
}

std::string MpiLauncherCommand(const agent::LaunchSpec& spec, const std::string& mpirun_path,
                               const std::string& hostfile, const std::string& command) {
  return fmt::format("exec {} --hostfile {} -np {} /bin/sh -c {}", ShellQuote(mpirun_path),
                     ShellQuote(hostfile), WorldSize(spec), ShellQuote(command));
}

}  // namespace ty::executors::local
