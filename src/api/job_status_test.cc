#include "api/job_status.h"

#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::api {
namespace {

const std::vector<JobStatus> kAll = {
    JobStatus::kNotStarted, JobStatus::kQueued,    JobStatus::kPreparing,
    JobStatus::kStarting,   JobStatus::kRunning,   JobStatus::kFinalizing,
    JobStatus::kCompleted,  JobStatus::kFailed,    JobStatus::kCanceled,
    JobStatus::kCancelRequested};

TEST(JobStatusTest, NamesRoundTrip) {
  for (JobStatus status : kAll) {
    absl::StatusOr<JobStatus> parsed = ParseJobStatus("status", JobStatusName(status));
    ASSERT_TRUE(parsed.ok()) << JobStatusName(status);
    EXPECT_EQ(*parsed, status);
  }
  EXPECT_EQ(JobStatusName(JobStatus::kCancelRequested), "CancelRequested");
}

TEST(JobStatusTest, ParseRejectsUnknownNames) {
  for (std::string_view text : {"", "running", "Done", "Cancelled"}) {
    absl::StatusOr<JobStatus> parsed = ParseJobStatus("status", text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(ErrorField(parsed.status()), "status");
    EXPECT_NE(parsed.status().message().find("NotStarted, Queued"), std::string_view::npos);
  }
}

TEST(JobStatusTest, TerminalStatuses) {
  for (JobStatus status : kAll) {
    bool terminal = status == JobStatus::kCompleted || status == JobStatus::kFailed ||
                    status == JobStatus::kCanceled;
    EXPECT_EQ(IsTerminal(status), terminal) << JobStatusName(status);
  }
}

TEST(JobStatusTest, ForwardTransitionsAllowed) {
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kNotStarted, JobStatus::kQueued));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kQueued, JobStatus::kPreparing));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kQueued, JobStatus::kRunning));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kRunning, JobStatus::kFinalizing));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kFinalizing, JobStatus::kCompleted));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kQueued, JobStatus::kFailed));
  EXPECT_TRUE(IsTransitionAllowed(JobStatus::kQueued, JobStatus::kCanceled));
}

// Verifies that a late or repeated report cannot move a job backwards.
TEST(JobStatusTest, BackwardAndRepeatedTransitionsRejected) {
  EXPECT_FALSE(IsTransitionAllowed(JobStatus::kRunning, JobStatus::kRunning));
  EXPECT_FALSE(IsTransitionAllowed(JobStatus::kRunning, JobStatus::kStarting));
  EXPECT_FALSE(IsTransitionAllowed(JobStatus::kFinalizing, JobStatus::kQueued));
  EXPECT_FALSE(IsTransitionAllowed(JobStatus::kQueued, JobStatus::kNotStarted));
}

TEST(JobStatusTest, TerminalIsFinal) {
  for (JobStatus from : {JobStatus::kCompleted, JobStatus::kFailed, JobStatus::kCanceled}) {
    for (JobStatus to : kAll) {
      EXPECT_FALSE(IsTransitionAllowed(from, to))
          << JobStatusName(from) << " -> " << JobStatusName(to);
    }
  }
}

TEST(JobStatusTest, CancelRequestedMovesOnlyToTerminal) {
  for (JobStatus from : kAll) {
    bool expected = !IsTerminal(from) && from != JobStatus::kCancelRequested;
    EXPECT_EQ(IsTransitionAllowed(from, JobStatus::kCancelRequested), expected)
        << JobStatusName(from);
  }
  for (JobStatus to : kAll) {
    EXPECT_EQ(IsTransitionAllowed(JobStatus::kCancelRequested, to), IsTerminal(to))
        << JobStatusName(to);
  }
}

TEST(JobStatusTest, RequeueOnlyFromActiveStatuses) {
  for (JobStatus from : kAll) {
    bool expected = from == JobStatus::kPreparing || from == JobStatus::kStarting ||
                    from == JobStatus::kRunning;
    EXPECT_EQ(CanRequeue(from), expected) << JobStatusName(from);
  }
}

}  // namespace
}  // namespace ty::api
