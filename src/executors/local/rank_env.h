#pragma once

// How a job's ranks are laid out on this host and the variables each
// framework reads to find its peers. Every instance of the job is a group of
// processes on this host, and ranks reach each other over loopback.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/executor.h"
#include "api/distribution_env.h"

namespace ty::executors::local {

// One process the executor starts under its own shim.
struct RankPlan {
  int rank = 0;
  int node_rank = 0;
  int local_rank = 0;
  // Variables added for this rank on top of the job's environment.
  std::map<std::string, std::string> environment;
};

// Returns the environment every rank starts from, in this order of
// precedence (later wins): the agent's PATH, HOME, LANG, LANGUAGE, LC_*,
// USER, LOGNAME, SHELL, TMPDIR, TZ and proxy variables; the job's
// variables; TRAINYARD_JOB_ID and TRAINYARD_OUTPUTS_DIR. When a proxy is
// set, 127.0.0.1, localhost and ::1 are added to NO_PROXY and no_proxy, so
// traffic to local services never goes through the proxy. `agent_environ`
// is the agent's environment, as `environ`.
std::map<std::string, std::string> BuildJobEnvironment(const agent::LaunchSpec& spec,
                                                       const std::string& outputs_dir,
                                                       char** agent_environ);

// Returns instance_count x processes_per_instance.
int WorldSize(const agent::LaunchSpec& spec);

// Returns the spec's process layout. Errors: kInvalidArgument naming the
// field, the value and what is accepted.
absl::StatusOr<api::ProcessLayout> LayoutOf(const agent::LaunchSpec& spec);

// Checks the counts and the distribution, as LayoutOf does.
absl::Status ValidateDistribution(const agent::LaunchSpec& spec);

// Returns `count` distinct free TCP ports on 127.0.0.1, found by binding
// port 0. Another program may still take one before the job binds it.
absl::StatusOr<std::vector<int>> PickFreePorts(int count);

using PortPicker = std::function<absl::StatusOr<std::vector<int>>(int count)>;

// Plans the shims of a job, with the variables of api/distribution_env.h:
// - pytorch: one rank per process with the rank variables and
//   MASTER_ADDR=127.0.0.1, a free MASTER_PORT and torchrun's PET_*;
// - tensorflow: one rank per process with TF_CONFIG, each task listening on
//   its own free port of 127.0.0.1;
// - mpi: a single launcher rank that runs mpirun for every process, with
//   WORLD_SIZE, LOCAL_WORLD_SIZE and, as root, Open MPI's root consent;
// - none: one rank per process with the rank variables only, and none at
//   all for a single process.
// `gpus_per_node[n]` lists the GPU indices of instance n; when
// `host_has_gpus`, every rank gets CUDA_VISIBLE_DEVICES, empty for a job
// without GPUs.
// REQUIRES: ValidateDistribution(spec) is OK.
absl::StatusOr<std::vector<RankPlan>> PlanRanks(const agent::LaunchSpec& spec,
                                                const std::vector<std::vector<int>>& gpus_per_node,
                                                bool host_has_gpus, const PortPicker& pick_ports);

// Returns the Open MPI hostfile for the job: every process on this host.
std::string MpiHostfile(const agent::LaunchSpec& spec);

// Returns the launcher command of an MPI job: `mpirun_path` with
// `hostfile`, one process per rank, each running `command` with /bin/sh,
// talking TCP over loopback. mpirun stops every process when one fails.
// TODO: the launcher is the job's only shim, so every process's output
// arrives as rank 0's and `job show` lists one rank for the whole job.
std::string MpiLauncherCommand(const agent::LaunchSpec& spec, const std::string& mpirun_path,
                               const std::string& hostfile, const std::string& command);

}  // namespace ty::executors::local
