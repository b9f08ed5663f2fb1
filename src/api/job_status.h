#pragma once

// Job statuses and the transitions between them. Statuses only move forward
// (NotStarted, Queued, Preparing, Starting, Running, Finalizing, then one
// terminal status) and a terminal status is final, so a duplicated or late
// status report from an agent is recognised and dropped.

#include <string_view>

#include "absl/status/statusor.h"

namespace ty::api {

enum class JobStatus {
  kNotStarted,
  kQueued,
  kPreparing,
  kStarting,
  kRunning,
  kFinalizing,
  kCompleted,
  kFailed,
  kCanceled,
  kCancelRequested,
};

// "NotStarted", "Queued", ..., "CancelRequested".
std::string_view JobStatusName(JobStatus status);

// Parses the names above exactly. Errors: kInvalidArgument with field
// `field` that lists the valid names.
absl::StatusOr<JobStatus> ParseJobStatus(std::string_view field, std::string_view text);

// True for Completed, Failed and Canceled.
bool IsTerminal(JobStatus status);

// Whether a job in `from` may move to `to`:
//  - a terminal status moves nowhere;
//  - CancelRequested is reachable from every non-terminal status and moves
//    only to a terminal status (the job may still complete or fail first);
//  - otherwise a move must go strictly forward in the order above, and every
//    terminal status counts as last.
// Moving to the same status is not a transition, so the result is false.
// Callers apply an allowed transition and ignore the others.
bool IsTransitionAllowed(JobStatus from, JobStatus to);

// Whether the server may put a job in `from` back to Queued after its agent
// lost it: true for Preparing, Starting and Running. This is the one
// backward move, and only the server makes it.
bool CanRequeue(JobStatus from);

}  // namespace ty::api
