#pragma once

// Tracks which part of the host's capacity running jobs hold, so jobs wait
// instead of overcommitting it, and no GPU goes to two jobs at once. A job
// reserves its whole gang (every instance) at once or nothing.
// Not thread-safe: the executor calls it under its own lock.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/executor.h"

namespace ty::executors::local {

// Resources reserved by one job.
struct Reservation {
  double cpus = 0;
  int64_t memory_bytes = 0;
  std::vector<std::vector<int>> gpus_per_node;  // GPU indices of each instance
};

class ResourceLedger {
 public:
  explicit ResourceLedger(agent::NodeCapacity capacity);

  // Returns OK when the job fits on the empty host. Errors:
  // kFailedPrecondition naming the resource, the request and the capacity.
  absl::Status CheckFits(const agent::LaunchSpec& spec) const;

  // Reserves the job's resources now. Errors: kResourceExhausted saying
  // what the job waits for; kAlreadyExists when `job_id` has a reservation.
  absl::StatusOr<Reservation> Reserve(const std::string& job_id, const agent::LaunchSpec& spec);

  // Records a reservation made before a restart, GPUs included, even when it
  // overcommits: the processes run already.
  void Restore(const std::string& job_id, const Reservation& reservation);

  // Frees the reservation of `job_id`; a job without one is ignored.
  void Release(const std::string& job_id);

  bool HasGpus() const { return !capacity_.gpus.empty(); }

 private:
  std::vector<int> FreeGpus() const;

  agent::NodeCapacity capacity_;
  std::map<std::string, Reservation> reservations_;
};

}  // namespace ty::executors::local
