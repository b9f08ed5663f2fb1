#pragma once

// Discovers what this host offers to jobs: CPUs, memory and NVIDIA GPUs.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/executor.h"

namespace ty::executors::local {

// Parses the output of `nvidia-smi --query-gpu=index,name,memory.total
// --format=csv,noheader,nounits` (memory in MiB). Errors: kInvalidArgument
// quoting the first malformed line.
absl::StatusOr<std::vector<agent::GpuInfo>> ParseNvidiaSmiCsv(const std::string& csv);

// Runs `nvidia_smi` (a program name or path) and returns the GPUs it lists.
// A missing or failing nvidia-smi means no usable GPU, a valid state, so
// this returns an empty list and logs why.
std::vector<agent::GpuInfo> DiscoverGpus(const std::string& nvidia_smi);

// Returns the CPUs this process may run on (its affinity mask).
double DiscoverCpus();

// Returns MemTotal from /proc/meminfo in bytes. Errors: kInternal when the
// file cannot be read or has no MemTotal line.
absl::StatusOr<int64_t> DiscoverMemoryBytes();

// Returns the host's name, or "localhost" when it has none.
std::string HostName();

}  // namespace ty::executors::local
