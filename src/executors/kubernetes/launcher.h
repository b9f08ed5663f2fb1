#pragma once

// How ranks start inside the pods of a job. Each pod is one instance. A
// POSIX shell launcher reads the pod's JOB_COMPLETION_INDEX (its node rank)
// and starts the job's command once per process, with the variables that
// its framework reads. The launcher does not use torchrun.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "agent/executor.h"

namespace ty::executors::kubernetes {

// The rendezvous of a job's ranks. Pods of an Indexed Job with a headless
// Service get the stable DNS name
// "<job>-<index>.<service>.<namespace>.svc.<cluster domain>".
struct Rendezvous {
  std::string job_name;
  std::string service;
  std::string namespace_name;
  std::string cluster_domain = "cluster.local";
  int master_port = 29500;     // PyTorch's MASTER_PORT
  int tensorflow_port = 2222;  // each TensorFlow task listens on port + local rank

  // The DNS name of the pod with completion index `index`.
  std::string Host(int index) const;
};

// Checks counts and distribution for this executor. Errors:
// kInvalidArgument naming the field and value; kUnimplemented for MPI
// across more than one instance.
absl::Status ValidateDistribution(const agent::LaunchSpec& spec);

// Returns the variables every pod of the job shares: WORLD_SIZE,
// LOCAL_WORLD_SIZE, and for pytorch MASTER_ADDR (rank 0's DNS name),
// MASTER_PORT and torchrun's PET_NNODES, PET_NPROC_PER_NODE,
// PET_MASTER_ADDR and PET_MASTER_PORT; for tensorflow the cluster spec
// that the launcher turns into TF_CONFIG. The launcher adds RANK,
// LOCAL_RANK, NODE_RANK, PET_NODE_RANK and TF_CONFIG per process.
std::vector<std::pair<std::string, std::string>> DistributionEnvironment(
    const agent::LaunchSpec& spec, const Rendezvous& rendezvous);

// Name of the variable that carries the job's command to the launcher.
inline constexpr char kCommandVariable[] = "TRAINYARD_COMMAND";

// Folder the launcher of a multi-process instance keeps exit codes in.
inline constexpr char kRunFolder[] = "/trainyard/run";

// Returns the launcher: a /bin/sh script. With one process per instance it
// replaces itself with the command. With more, it starts one process per
// local rank, prefixes each output line with "[rank R] ", and when one
// fails stops the others and exits with its code.
std::string LauncherScript(const agent::LaunchSpec& spec);

// The prefix LauncherScript puts before each line of rank `rank` when an
// instance runs several processes.
std::string RankPrefix(int rank);

// Escapes `$` for the kubelet, which expands $(NAME) in env values,
// command and args, so the text reaches the container unchanged.
std::string EscapeForKubelet(const std::string& text);

}  // namespace ty::executors::kubernetes
