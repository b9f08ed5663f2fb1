#include "executors/kubernetes/launcher.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ty::executors::kubernetes {
namespace {

int WorldSize(const agent::LaunchSpec& spec) {
  return spec.instance_count * spec.processes_per_instance;
}

// Sets NODE_RANK and the variables derived from it for the whole pod.
constexpr char kPrologue[] = R"(set -u
node_rank="${JOB_COMPLETION_INDEX:-0}"
export NODE_RANK="$node_rank" GROUP_RANK="$node_rank" PET_NODE_RANK="$node_rank"
)";

// Defines set_tf_config RANK: TF_CONFIG for the task of one process; the
// last parameter_server_count ranks are "ps" tasks, the others "worker".
std::string TensorFlowFunction(const agent::LaunchSpec& spec) {
  int workers = WorldSize(spec) - spec.parameter_server_count;
  return fmt::format(R"(set_tf_config() {{
  if [ "$1" -lt {0} ]; then task_type=worker; task_index="$1"
  else task_type=ps; task_index=$(($1 - {0})); fi
  TF_CONFIG="{{\"cluster\":$TRAINYARD_TF_CLUSTER,\"task\":{{\"type\":\"$task_type\",\"index\":$task_index}}}}"
  export TF_CONFIG
}}
)",
                     workers);
}

std::string SingleProcessScript(const agent::LaunchSpec& spec) {
  std::string script = kPrologue;
  if (spec.distribution == "tensorflow") script += TensorFlowFunction(spec);
  script += "export RANK=\"$node_rank\" LOCAL_RANK=0\n";
  if (spec.distribution == "tensorflow") script += "set_tf_config \"$node_rank\"\n";
  script += fmt::format("exec /bin/sh -c \"${}\"\n", kCommandVariable);
  return script;
}

// One instance of an MPI job: mpirun starts and numbers the processes.
std::string MpiScript(const agent::LaunchSpec& spec) {
  return fmt::format(R"({0}export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if ! command -v mpirun >/dev/null 2>&1; then
  echo "trainyard: distribution 'mpi' needs mpirun, which the image does not have; use an image with Open MPI" >&2
  exit 127
fi
exec mpirun --oversubscribe -np {1} /bin/sh -c "${2}"
)",
                     kPrologue, spec.processes_per_instance, kCommandVariable);
}

// Several processes per instance. Each writes its exit code to a file,
// renamed into place so that a reader never sees half of it. The loop at
// the end waits for all of them and stops the rest on the first failure.
// `kill -TERM 0` reaches every process of the container, including the
// launcher, which ignores it.
std::string MultiProcessScript(const agent::LaunchSpec& spec) {
  std::string script = kPrologue;
  if (spec.distribution == "tensorflow") script += TensorFlowFunction(spec);
  script += fmt::format(R"(per_node={0}
run={1}
mkdir -p "$run"
trap 'trap "" TERM; kill -TERM 0' TERM
local_rank=0
while [ "$local_rank" -lt "$per_node" ]; do
  rank=$((node_rank * per_node + local_rank))
  (
    export RANK="$rank" LOCAL_RANK="$local_rank"
    {2}
    /bin/sh -c "${3}" 2>&1
    echo $? > "$run/exit.$local_rank.tmp" && mv "$run/exit.$local_rank.tmp" "$run/exit.$local_rank"
  ) | sed -u "s/^/[rank $rank] /" &
  local_rank=$((local_rank + 1))
done
while :; do
  ended=0
  local_rank=0
  while [ "$local_rank" -lt "$per_node" ]; do
    if [ -f "$run/exit.$local_rank" ]; then
      code=$(cat "$run/exit.$local_rank")
      if [ "$code" != 0 ]; then
        echo "[rank $((node_rank * per_node + local_rank))] exited with code $code; stopping the other ranks of this instance" >&2
        trap "" TERM
        kill -TERM 0
        exit "$code"
      fi
      ended=$((ended + 1))
    fi
    local_rank=$((local_rank + 1))
  done
  if [ "$ended" -eq "$per_node" ]; then
    wait
    exit 0
  fi
  sleep 1
done
)",
                        spec.processes_per_instance, kRunFolder,
                        spec.distribution == "tensorflow" ? "set_tf_config \"$rank\"" : ":",
                        kCommandVariable);
  return script;
}

}  // namespace

std::string Rendezvous::Host(int index) const {
  return fmt::format("{}-{}.{}.{}.svc.{}", job_name, index, service, namespace_name,
                     cluster_domain);
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
      (type != "tensorflow" && spec.parameter_server_count != 0) ||
      spec.parameter_server_count >= WorldSize(spec)) {
    return absl::InvalidArgumentError(fmt::format(
        "distribution.parameter_server_count is {}; it must be 0, or for tensorflow less than "
        "the {} processes of the job",
        spec.parameter_server_count, WorldSize(spec)));
  }
  if (type == "mpi" && spec.instance_count > 1) {
    // TODO: multi-node MPI needs a launcher that reaches the other pods
    // (ssh or an MPI operator); only one instance is supported now.
    return absl::UnimplementedError(fmt::format(
        "distribution 'mpi' with instance_count {} is not supported on Kubernetes yet; run it "
        "with instance_count 1 and process_count_per_instance {}, or use pytorch",
        spec.instance_count, WorldSize(spec)));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> DistributionEnvironment(
    const agent::LaunchSpec& spec, const Rendezvous& rendezvous) {
  std::vector<std::pair<std::string, std::string>> env;
  int world = WorldSize(spec);
  int per_node = spec.processes_per_instance;
  env.emplace_back("WORLD_SIZE", std::to_string(world));
  env.emplace_back("LOCAL_WORLD_SIZE", std::to_string(per_node));
  if (spec.distribution == "pytorch") {
    std::string master = rendezvous.Host(0);
    std::string port = std::to_string(rendezvous.master_port);
    env.emplace_back("MASTER_ADDR", master);
    env.emplace_back("MASTER_PORT", port);
    env.emplace_back("PET_NNODES", std::to_string(spec.instance_count));
    env.emplace_back("PET_NPROC_PER_NODE", std::to_string(per_node));
    env.emplace_back("PET_MASTER_ADDR", master);
    env.emplace_back("PET_MASTER_PORT", port);
  }
  if (spec.distribution == "tensorflow") {
    int workers = world - spec.parameter_server_count;
    nlohmann::json worker_hosts = nlohmann::json::array();
    nlohmann::json ps_hosts = nlohmann::json::array();
    for (int rank = 0; rank < world; ++rank) {
      std::string address = fmt::format("{}:{}", rendezvous.Host(rank / per_node),
                                        rendezvous.tensorflow_port + rank % per_node);
      (rank < workers ? worker_hosts : ps_hosts).push_back(address);
    }
    nlohmann::json cluster = {{"worker", worker_hosts}};
    if (!ps_hosts.empty()) cluster["ps"] = ps_hosts;
    env.emplace_back("TRAINYARD_TF_CLUSTER", cluster.dump());
  }
  return env;
}

std::string LauncherScript(const agent::LaunchSpec& spec) {
  if (spec.distribution == "mpi") return MpiScript(spec);
  if (spec.processes_per_instance > 1) return MultiProcessScript(spec);
  return SingleProcessScript(spec);
}

std::string RankPrefix(int rank) { return fmt::format("[rank {}] ", rank); }

std::string EscapeForKubelet(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '$') out.push_back('$');
    out.push_back(c);
  }
  return out;
}

}  // namespace ty::executors::kubernetes
