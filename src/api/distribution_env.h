#pragma once

// The launch rules of distributed jobs that every executor shares: how the
// processes of a job are numbered, which variables each framework reads, the
// TensorFlow cluster spec and the Open MPI hostfile and options. Executors
// only supply what differs between backends: host names and ports.
//
// Numbering: a job runs instance_count x processes_per_instance processes.
// Process `rank` runs on instance rank / processes_per_instance (its node
// rank) as local rank rank % processes_per_instance. For TensorFlow, the last
// parameter_server_count ranks are "ps" tasks and the others "worker" tasks.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/job_spec.h"

namespace ty::api {

// How many processes a job runs and where.
struct ProcessLayout {
  DistributionType type = DistributionType::kNone;
  int instance_count = 1;
  int processes_per_instance = 1;
  int parameter_server_count = 0;  // tensorflow only

  int WorldSize() const { return instance_count * processes_per_instance; }
  int WorkerCount() const { return WorldSize() - parameter_server_count; }
};

// Reads a distribution type name: "" (none), "pytorch", "mpi" or
// "tensorflow". Errors: kInvalidArgument naming the value and the choices.
absl::StatusOr<DistributionType> ParseDistributionType(std::string_view name);

// Returns the layout a job spec requests. TensorFlow runs worker_count
// (by default instance_count) + parameter_server_count tasks spread evenly
// over the instances. Errors: kInvalidArgument naming the field when the
// tasks do not divide evenly over the instances.
absl::StatusOr<ProcessLayout> LayoutOfJob(const JobSpec& spec);

// Checks counts that did not come through LayoutOfJob (as from a launch
// message). Errors: kInvalidArgument naming the field, the value and the
// accepted range.
absl::Status ValidateLayout(const ProcessLayout& layout);

// Builds and validates the layout of a launch message's fields, where
// `type_name` is as ParseDistributionType reads it. Errors: as
// ParseDistributionType and ValidateLayout.
absl::StatusOr<ProcessLayout> MakeLayout(std::string_view type_name, int instance_count,
                                         int processes_per_instance,
                                         int parameter_server_count);

// The position of one process in the job.
struct RankPosition {
  int rank = 0;
  int node_rank = 0;
  int local_rank = 0;
};

RankPosition PositionOfRank(const ProcessLayout& layout, int rank);

// Variables with the same value in every process of a job: WORLD_SIZE,
// LOCAL_WORLD_SIZE, and for pytorch MASTER_ADDR, MASTER_PORT and torchrun's
// PET_NNODES, PET_NPROC_PER_NODE, PET_MASTER_ADDR and PET_MASTER_PORT.
std::map<std::string, std::string> JobWideVariables(const ProcessLayout& layout,
                                                    const std::string& master_address,
                                                    int master_port);

// Variables that differ per process: RANK, LOCAL_RANK, NODE_RANK, and for
// pytorch GROUP_RANK and PET_NODE_RANK (both the node rank).
std::map<std::string, std::string> PerRankVariables(const ProcessLayout& layout, int rank);

// The TensorFlow task of process `rank`.
struct TensorFlowTask {
  std::string type;  // "worker" or "ps"
  int index = 0;     // within its type
};

TensorFlowTask TensorFlowTaskOfRank(const ProcessLayout& layout, int rank);

// Returns the TF_CONFIG "cluster" object: "worker" lists the workers'
// addresses and "ps", present only with parameter servers, theirs.
// `address_of_rank` returns "host:port" for a rank.
std::string TensorFlowClusterJson(const ProcessLayout& layout,
                                  const std::function<std::string(int rank)>& address_of_rank);

// Returns TF_CONFIG for process `rank`: {"cluster": ..., "task": {"type",
// "index"}}, where `cluster_json` is TensorFlowClusterJson's result.
std::string TensorFlowConfig(const ProcessLayout& layout, const std::string& cluster_json,
                             int rank);

// Returns an Open MPI hostfile with one "HOST slots=N" line per distinct
// host, where `hosts[i]` is the host of instance i and each instance
// contributes processes_per_instance slots.
std::string MpiHostfile(const ProcessLayout& layout, const std::vector<std::string>& hosts);

// Options for Debian's mpirun (Open MPI 4). Unset members add nothing.
struct MpirunOptions {
  std::string hostfile;       // --hostfile
  bool as_root = false;       // --allow-run-as-root, which Open MPI needs for uid 0
  bool loopback_only = false; // TCP over the loopback interface only
};

// Returns the mpirun arguments that start every process of the job, without
// the program: -np WORLD_SIZE, --oversubscribe (ranks may outnumber cores)
// and the options set in `options`.
std::vector<std::string> MpirunArguments(const ProcessLayout& layout,
                                         const MpirunOptions& options);

// Variables Open MPI reads to allow uid 0 (it rejects root without them).
std::map<std::string, std::string> MpiRootVariables();

}  // namespace ty::api
