#include "executors/local/job_outcome.h"

#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

using ::testing::HasSubstr;

ShimStatus Exited(int code) { return {.exit_code = code}; }
ShimStatus Signaled(int signal) { return {.signal = signal}; }

TEST(ClassifyRankEnd, ZeroExitCompletes) {
  RankOutcome outcome = ClassifyRankEnd(Exited(0), false, "", {});
  EXPECT_EQ(outcome.status, "Completed");
  EXPECT_EQ(outcome.exit_code, 0);
}

TEST(ClassifyRankEnd, NonZeroExitFails) {
  RankOutcome outcome = ClassifyRankEnd(Exited(3), false, "", {});
  EXPECT_EQ(outcome.status, "Failed");
  EXPECT_EQ(outcome.message, "process exited with code 3");
}

TEST(ClassifyRankEnd, ShellSignalCodeGetsAHint) {
  RankOutcome outcome = ClassifyRankEnd(Exited(137), false, "", {});
  EXPECT_EQ(outcome.message,
            "process exited with code 137, which a shell uses for a child killed by signal 9 "
            "(SIGKILL)");
}

TEST(ClassifyRankEnd, NamesTheMissingProgram) {
  RankOutcome dash = ClassifyRankEnd(Exited(127), false, "", {"sh: 1: trian.py: not found"});
  RankOutcome bash = ClassifyRankEnd(Exited(127), false, "", {"bash: line 1: pyton: command not found"});
  RankOutcome unknown = ClassifyRankEnd(Exited(127), false, "", {});

  EXPECT_THAT(dash.message, HasSubstr("command not found: 'trian.py'"));
  EXPECT_THAT(bash.message, HasSubstr("command not found: 'pyton'"));
  EXPECT_THAT(unknown.message, HasSubstr("command not found (exit code 127)"));
}

TEST(ClassifyRankEnd, OutsideSignalIsNamed) {
  RankOutcome outcome = ClassifyRankEnd(Signaled(SIGKILL), false, "", {});
  EXPECT_EQ(outcome.status, "Failed");
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_EQ(outcome.message, "process killed by signal 9 (SIGKILL) from outside the agent");
}

TEST(ClassifyRankEnd, CrashIsNotBlamedOnOthers) {
  RankOutcome outcome = ClassifyRankEnd(Signaled(SIGSEGV), false, "", {});
  EXPECT_EQ(outcome.message, "process crashed with signal 11 (SIGSEGV)");
}

TEST(ClassifyRankEnd, StopRequestedCancels) {
  RankOutcome outcome = ClassifyRankEnd(Signaled(SIGTERM), false, "the job was canceled: user", {});
  EXPECT_EQ(outcome.status, "Canceled");
  EXPECT_EQ(outcome.message, "stopped because the job was canceled: user");
}

TEST(ClassifyRankEnd, LostShimFails) {
  RankOutcome outcome = ClassifyRankEnd({}, true, "", {});
  EXPECT_EQ(outcome.status, "Failed");
  EXPECT_THAT(outcome.message, HasSubstr("shim that supervised the process was lost"));
}

TEST(ClassifyRankEnd, StartErrorFails) {
  RankOutcome outcome =
      ClassifyRankEnd({.exit_code = 127, .error = "working folder '/x': No such file or directory"},
                      false, "", {});
  EXPECT_EQ(outcome.status, "Failed");
  EXPECT_EQ(outcome.message,
            "could not start the command: working folder '/x': No such file or directory");
}

TEST(RankFailureMessage, NamesRankAndLastLines) {
  RankOutcome outcome = ClassifyRankEnd(Exited(2), false, "", {});

  EXPECT_EQ(RankFailureMessage(0, 1, outcome, {"ignored"}), "process exited with code 2");
  EXPECT_EQ(RankFailureMessage(3, 4, outcome, {"loss is nan", "aborting"}),
            "rank 3 of 4 failed: process exited with code 2; its last output lines: loss is nan "
            "| aborting");
}

TEST(SignalName, KnownAndUnknown) {
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(200), "signal 200");
}

}  // namespace
}  // namespace ty::executors::local
