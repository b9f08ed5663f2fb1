#pragma once

// Job assignments: what the relay remembers between connections: which job was assigned to
// which cluster, whether the agent acknowledged it, and what it reserves.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/migrations.h"

namespace ty::store {

std::vector<Migration> AssignmentMigrations();

struct Assignment {
  std::string job_id;      // "<group>/<workspace>/<job>"
  std::string cluster_id;  // resource id of the cluster
  std::string message_id;  // id of the `assign` frame
  std::string launch;      // the `job` object of the frame, serialized
  bool acknowledged = false;
  bool cancel_sent = false;  // a `cancel` went out on the current connection
  // Resources reserved on the cluster while the job is not final.
  double cpus = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
  int64_t instances = 1;
  std::string placement;  // node index of each instance, comma-separated
};

// Records a new assignment. kAlreadyExists when the job already has one.
absl::Status InsertAssignment(Transaction& transaction, const Assignment& assignment);

absl::StatusOr<std::optional<Assignment>> FindAssignment(Transaction& transaction,
                                                         std::string_view job_id);

// The assignments of a cluster whose jobs are not final yet.
absl::StatusOr<std::vector<Assignment>> ActiveAssignments(Transaction& transaction,
                                                          std::string_view cluster_id);

// Marks the `assign` frame with `message_id` acknowledged; unknown ids are
// ignored so a repeated ack is harmless. Returns the job id, or "".
absl::StatusOr<std::string> AcknowledgeAssignment(Transaction& transaction,
                                                  std::string_view message_id);

absl::Status SetCancelSent(Transaction& transaction, std::string_view job_id, bool sent);

// Releases the job's reservation once it is final.
absl::Status MarkAssignmentFinal(Transaction& transaction, std::string_view job_id);

// Clears every cancel_sent mark of a cluster, when it reconnects.
absl::Status ResetCancelSent(Transaction& transaction, std::string_view cluster_id);

}  // namespace ty::store
