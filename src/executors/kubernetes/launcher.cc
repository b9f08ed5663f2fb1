#include "executors/kubernetes/launcher.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "api/distribution_env.h"
#include "common/status_macros.h"

namespace ty::executors::kubernetes {
namespace {

// Returns the spec's layout. The executor builds launchers only for specs
// that ValidateDistribution accepted, so the one-process fallback is only
// reached for a spec it would reject.
api::ProcessLayout Layout(const agent::LaunchSpec& spec) {
  absl::StatusOr<api::ProcessLayout> layout =
      api::MakeLayout(spec.distribution, spec.instance_count, spec.processes_per_instance,
                      spec.parameter_server_count);
  return layout.value_or(api::ProcessLayout{});
}

// Sets NODE_RANK and the variables derived from it for the whole pod.
constexpr char kPrologue[] = R"(set -u
node_rank="${JOB_COMPLETION_INDEX:-0}"
export NODE_RANK="$node_rank" GROUP_RANK="$node_rank" PET_NODE_RANK="$node_rank"
)";

// Defines set_tf_config RANK: TF_CONFIG for the task of one process; the
// last parameter_server_count ranks are "ps" tasks, the others "worker".
std::string TensorFlowFunction(const agent::LaunchSpec& spec) {
  int workers = Layout(spec).WorkerCount();
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
  std::vector<std::string> consent;
  for (const auto& [name, value] : api::MpiRootVariables()) consent.push_back(name + "=" + value);
  return fmt::format(R"({0}export {1}
if ! command -v mpirun >/dev/null 2>&1; then
  echo "trainyard: distribution 'mpi' needs mpirun, which the image does not have; use an image with Open MPI" >&2
  exit 127
fi
exec mpirun {2} /bin/sh -c "${3}"
)",
                     kPrologue, absl::StrJoin(consent, " "),
                     absl::StrJoin(api::MpirunArguments(Layout(spec), {}), " "), kCommandVariable);
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
  RETURN_IF_ERROR(api::MakeLayout(spec.distribution, spec.instance_count,
                                  spec.processes_per_instance, spec.parameter_server_count)
                      .status());
  if (spec.distribution == "mpi" && spec.instance_count > 1) {
    // TODO: multi-node MPI needs a launcher that reaches the other pods
    // (ssh or an MPI operator); only one instance is supported now.
    return absl::UnimplementedError(fmt::format(
        "distribution 'mpi' with instance_count {} is not supported on Kubernetes yet; run it "
        "with instance_count 1 and process_count_per_instance {}, or use pytorch",
        spec.instance_count, spec.instance_count * spec.processes_per_instance));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> DistributionEnvironment(
    const agent::LaunchSpec& spec, const Rendezvous& rendezvous) {
  api::ProcessLayout layout = Layout(spec);
  std::vector<std::pair<std::string, std::string>> env;
  for (auto& variable : api::JobWideVariables(layout, rendezvous.Host(0), rendezvous.master_port)) {
    env.emplace_back(variable);
  }
  if (layout.type == api::DistributionType::kTensorFlow) {
    std::string cluster = api::TensorFlowClusterJson(layout, [&](int rank) {
      api::RankPosition position = api::PositionOfRank(layout, rank);
      return fmt::format("{}:{}", rendezvous.Host(position.node_rank),
                         rendezvous.tensorflow_port + position.local_rank);
    });
    env.emplace_back("TRAINYARD_TF_CLUSTER", cluster);
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
