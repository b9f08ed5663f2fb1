#include "executors/local/rank_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "api/distribution_env.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "executors/local/file_util.h"
#include "executors/local/job_layout.h"

namespace ty::executors::local {
namespace {

constexpr char kLoopback[] = "127.0.0.1";

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

absl::StatusOr<api::ProcessLayout> LayoutOf(const agent::LaunchSpec& spec) {
  return api::MakeLayout(spec.distribution, spec.instance_count, spec.processes_per_instance,
                         spec.parameter_server_count);
}

absl::Status ValidateDistribution(const agent::LaunchSpec& spec) {
  return LayoutOf(spec).status();
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
  ASSIGN_OR_RETURN(api::ProcessLayout layout, LayoutOf(spec));
  int world = layout.WorldSize();

  std::vector<int> ports;
  if (layout.type == api::DistributionType::kPyTorch) {
    ASSIGN_OR_RETURN(ports, pick_ports(1));
  } else if (layout.type == api::DistributionType::kTensorFlow) {
    ASSIGN_OR_RETURN(ports, pick_ports(world));
  }
  std::map<std::string, std::string> job_wide =
      JobWideVariables(layout, kLoopback, ports.empty() ? 0 : ports[0]);

  // An MPI job is one launcher; mpirun starts and numbers the processes.
  if (layout.type == api::DistributionType::kMpi) {
    RankPlan launcher;
    launcher.environment = job_wide;
    if (host_has_gpus) {
      std::vector<int> all;
      for (const std::vector<int>& node : gpus_per_node) all.insert(all.end(), node.begin(), node.end());
      launcher.environment["CUDA_VISIBLE_DEVICES"] = absl::StrJoin(all, ",");
    }
    if (geteuid() == 0) launcher.environment.merge(api::MpiRootVariables());
    return std::vector<RankPlan>{launcher};
  }

  std::string tensorflow_cluster;
  if (layout.type == api::DistributionType::kTensorFlow) {
    tensorflow_cluster = api::TensorFlowClusterJson(
        layout, [&](int rank) { return fmt::format("{}:{}", kLoopback, ports[rank]); });
  }
  auto gpu_list = [&](int node) {
    if (node >= static_cast<int>(gpus_per_node.size())) return std::string();
    return absl::StrJoin(gpus_per_node[node], ",");
  };

  std::vector<RankPlan> ranks;
  for (int rank = 0; rank < world; ++rank) {
    api::RankPosition position = api::PositionOfRank(layout, rank);
    RankPlan plan{.rank = rank, .node_rank = position.node_rank, .local_rank = position.local_rank};
    // A plain single-process job gets no rank variables, as on a laptop.
    if (world > 1 || layout.type != api::DistributionType::kNone) {
      plan.environment = job_wide;
      plan.environment.merge(api::PerRankVariables(layout, rank));
    }
    if (layout.type == api::DistributionType::kTensorFlow) {
      plan.environment["TF_CONFIG"] = api::TensorFlowConfig(layout, tensorflow_cluster, rank);
    }
    if (host_has_gpus) plan.environment["CUDA_VISIBLE_DEVICES"] = gpu_list(plan.node_rank);
    ranks.push_back(std::move(plan));
  }
  return ranks;
}

std::string MpiHostfile(const agent::LaunchSpec& spec) {
  // Every instance runs on this host.
  api::ProcessLayout layout{.instance_count = spec.instance_count,
                            .processes_per_instance = spec.processes_per_instance};
  return api::MpiHostfile(layout, std::vector<std::string>(spec.instance_count, "localhost"));
}

std::string MpiLauncherCommand(const agent::LaunchSpec& spec, const std::string& mpirun_path,
                               const std::string& hostfile, const std::string& command) {
  api::ProcessLayout layout{.type = api::DistributionType::kMpi,
                            .instance_count = spec.instance_count,
                            .processes_per_instance = spec.processes_per_instance};
  std::vector<std::string> words = {"exec", ShellQuote(mpirun_path)};
  for (const std::string& argument : api::MpirunArguments(
           layout, {.hostfile = hostfile, .as_root = geteuid() == 0, .loopback_only = true})) {
    words.push_back(ShellQuote(argument));
  }
  words.insert(words.end(), {"/bin/sh", "-c", ShellQuote(command)});
  return absl::StrJoin(words, " ");
}

}  // namespace ty::executors::local
