#include "api/job_status.h"

#include <array>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/errors.h"

namespace ty::api {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 10> kNames = {{
    {JobStatus::kNotStarted, "NotStarted"},
    {JobStatus::kQueued, "Queued"},
    {JobStatus::kPreparing, "Preparing"},
    {JobStatus::kStarting, "Starting"},
    {JobStatus::kRunning, "Running"},
    {JobStatus::kFinalizing, "Finalizing"},
    {JobStatus::kCompleted, "Completed"},
    {JobStatus::kFailed, "Failed"},
    {JobStatus::kCanceled, "Canceled"},
    {JobStatus::kCancelRequested, "CancelRequested"},
}};

// Position in the forward order. The terminal statuses share the last rank.
// CancelRequested is handled separately by IsTransitionAllowed.
int Rank(JobStatus status) {
  switch (status) {
    case JobStatus::kNotStarted:
      return 0;
    case JobStatus::kQueued:
      return 1;
    case JobStatus::kPreparing:
      return 2;
    case JobStatus::kStarting:
      return 3;
    case JobStatus::kRunning:
      return 4;
    case JobStatus::kFinalizing:
      return 5;
    case JobStatus::kCancelRequested:
      return 6;
    case JobStatus::kCompleted:
    case JobStatus::kFailed:
    case JobStatus::kCanceled:
      return 7;
  }
  return 7;
}

}  // namespace

std::string_view JobStatusName(JobStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "Unknown";
}

absl::StatusOr<JobStatus> ParseJobStatus(std::string_view field, std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  std::string valid;
  for (const auto& [value, name] : kNames) {
    valid += fmt::format("{}{}", valid.empty() ? "" : ", ", name);
  }
  return InvalidField(field, fmt::format("unknown job status '{}': use one of {}", text, valid));
}

bool IsTerminal(JobStatus status) {
  return status == JobStatus::kCompleted || status == JobStatus::kFailed ||
         status == JobStatus::kCanceled;
}

bool IsTransitionAllowed(JobStatus from, JobStatus to) {
  if (IsTerminal(from)) return false;
  if (to == JobStatus::kCancelRequested) return from != JobStatus::kCancelRequested;
  if (from == JobStatus::kCancelRequested) return IsTerminal(to);
  return Rank(to) > Rank(from);
}

bool CanRequeue(JobStatus from) {
  return from == JobStatus::kPreparing || from == JobStatus::kStarting ||
         from == JobStatus::kRunning;
}

}  // namespace ty::api
