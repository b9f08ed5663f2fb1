// An agent that stops (kill -9, or Shutdown here) and a new executor on the
// same work root: jobs survive and their real outcomes are reported.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/local/local_executor.h"
#include "executors/local/shim_protocol.h"
#include "executors/local/test_listener.h"

namespace ty::executors::local {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Waits for `path` to exist; false after a generous safety limit.
bool WaitForFile(const std::string& path) {
  for (int i = 0; i < 6000; ++i) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A real executor in a process of its own (`ty_test_shim agent`), so a test
// can kill it with SIGKILL. It prints "status ..." and "log <rank> <stream>
// <offset> <text>" lines.
class AgentProcess {
 public:
  AgentProcess(const std::string& work_root, const std::string& job_id,
               const std::string& command) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(TY_TEST_SHIM_PATH, TY_TEST_SHIM_PATH, "agent", work_root.c_str(), job_id.c_str(),
            command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    stream_ = fdopen(out[0], "r");
  }

  ~AgentProcess() {
    KillNow();
    if (stream_ != nullptr) fclose(stream_);
  }

  // Reads the agent's lines until one ends with `suffix`; false at the end
  // of its output.
  bool ReadUntilSuffix(const std::string& suffix) {
    char buffer[4096];
    while (stream_ != nullptr && fgets(buffer, sizeof(buffer), stream_) != nullptr) {
      std::string line(buffer);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      lines_.push_back(line);
      if (line.ends_with(suffix)) return true;
    }
    return false;
  }

  void KillNow() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // The log lines of rank 0's stdout by offset.
  std::map<int64_t, std::string> StdoutByOffset() const {
    std::map<int64_t, std::string> lines;
    for (const std::string& line : lines_) {
      long long offset = 0;
      int consumed = 0;
      if (std::sscanf(line.c_str(), "log 0 stdout %lld %n", &offset, &consumed) == 1) {
        lines[offset] = line.substr(consumed);
      }
    }
    return lines;
  }

 private:
  pid_t pid_ = -1;
  FILE* stream_ = nullptr;
  std::vector<std::string> lines_;
};

class LocalExecutorRecoverTest : public LocalExecutorTestBase {};

// Verifies that killing the agent with SIGKILL mid-job loses no line and no
// outcome: a new executor re-attaches and finishes the report.
TEST_F(LocalExecutorRecoverTest, KilledAgentLosesNoLine) {
  AgentProcess agent(work_root_, "killed-agent",
                     "for i in $(seq 1 100); do echo line-$i; done; "
                     "while [ ! -f go ]; do sleep 0.02; done; "
                     "for i in $(seq 101 200); do echo line-$i; done; exit 6");
  ASSERT_TRUE(agent.ReadUntilSuffix(" line-100"));
  agent.KillNow();

  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  ASSERT_TRUE(executor->Recover().ok());
  std::ofstream(CodeDir("killed-agent") + "/go").put('\n');
  auto end = listener.WaitForEnd("killed-agent");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 6);
  std::map<int64_t, std::string> lines = agent.StdoutByOffset();
  for (const auto& [offset, text] : listener.LinesByOffset("killed-agent", 0)) {
    auto [existing, inserted] = lines.emplace(offset, text);
    EXPECT_EQ(existing->second, text) << "offset " << offset;
  }
  std::vector<std::string> merged;
  for (const auto& [offset, text] : lines) merged.push_back(text);
  std::vector<std::string> expected;
  for (int i = 1; i <= 200; ++i) expected.push_back(fmt::format("line-{}", i));
  EXPECT_EQ(merged, expected);
}

TEST_F(LocalExecutorRecoverTest, SleepingJobCompletesUnderNewExecutor) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first->Launch(Spec("sleepy", "sleep 2; echo done")).ok());
  ASSERT_TRUE(first_listener.WaitForStatus("sleepy", {"Running"}).has_value());
  first->Shutdown();
  first.reset();

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());
  auto end = second_listener.WaitForEnd("sleepy");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  EXPECT_EQ(end->exit_code, 0);
  EXPECT_THAT(second_listener.Lines("sleepy", 0), ElementsAre("done"));
}

// Verifies that the new executor re-attaches to a live shim, and that every
// line arrives once across the two executors.
TEST_F(LocalExecutorRecoverTest, ReattachesWithoutLosingLines) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first
                  ->Launch(Spec("attach", "for i in $(seq 1 100); do echo line-$i; done; "
                                          "while [ ! -f go ]; do sleep 0.02; done; "
                                          "for i in $(seq 101 200); do echo line-$i; done; exit 4"))
                  .ok());
  ASSERT_TRUE(first_listener.WaitForLine("attach", 0, "line-100"));
  first->Shutdown();
  first.reset();

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());
  std::vector<agent::JobState> inventory = second->Inventory();
  ASSERT_EQ(inventory.size(), 1u);
  EXPECT_EQ(inventory[0].status, "Running");
  std::ofstream(CodeDir("attach") + "/go").put('\n');
  auto end = second_listener.WaitForEnd("attach");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 4);
  std::vector<std::string> lines = first_listener.Lines("attach", 0);
  std::vector<std::string> later = second_listener.Lines("attach", 0);
  lines.insert(lines.end(), later.begin(), later.end());
  std::vector<std::string> expected;
  for (int i = 1; i <= 200; ++i) expected.push_back(fmt::format("line-{}", i));
  EXPECT_EQ(lines, expected);
}

TEST_F(LocalExecutorRecoverTest, JobThatEndedMeanwhileReportsItsOutcome) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(
      first->Launch(Spec("meanwhile", "while [ ! -f go ]; do sleep 0.02; done; echo bye; exit 5"))
          .ok());
  ASSERT_TRUE(first_listener.WaitForStatus("meanwhile", {"Running"}).has_value());
  first->Shutdown();
  first.reset();
  std::ofstream(CodeDir("meanwhile") + "/go").put('\n');
  ASSERT_TRUE(WaitForFile(RankDir("meanwhile", 0) + "/" + kStatusFile));

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());
  auto end = second_listener.WaitForEnd("meanwhile");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 5);
  EXPECT_EQ(end->message, "process exited with code 5");
  EXPECT_THAT(second_listener.Lines("meanwhile", 0), ElementsAre("bye"));
}

TEST_F(LocalExecutorRecoverTest, LostShimFailsTheJob) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first->Launch(Spec("orphan", "echo started; sleep 1000")).ok());
  ASSERT_TRUE(first_listener.WaitForLine("orphan", 0, "started"));
  first->Shutdown();
  first.reset();
  auto shim = ReadPidFile(RankDir("orphan", 0) + "/" + kShimPidFile);
  ASSERT_TRUE(shim.ok());
  pid_t group = ChildGroup("orphan", 0);
  ASSERT_EQ(kill(*shim, SIGKILL), 0);

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());
  auto end = second_listener.WaitForEnd("orphan");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_THAT(end->message, HasSubstr("shim that supervised the process was lost"));
  // The executor sends SIGKILL to the group and reports at once, without
  // waiting for the kernel to end the processes.
  EXPECT_TRUE(WaitForGroupGone(group));
}

TEST_F(LocalExecutorRecoverTest, FinishedJobsStayInInventory) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first->Launch(Spec("finished", "exit 0")).ok());
  ASSERT_TRUE(first_listener.WaitForEnd("finished").has_value());
  first->Shutdown();
  first.reset();

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());

  std::vector<agent::JobState> inventory = second->Inventory();
  ASSERT_EQ(inventory.size(), 1u);
  EXPECT_EQ(inventory[0].status, "Completed");
  EXPECT_EQ(inventory[0].exit_code, 0);
  EXPECT_TRUE(second_listener.Events("finished").empty());
}

TEST_F(LocalExecutorRecoverTest, QueuedJobStartsAfterRecovery) {
  capacity_.cpus = 1;
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first->Launch(Spec("holder", "while [ ! -f go ]; do sleep 0.02; done")).ok());
  ASSERT_TRUE(first->Launch(Spec("waiter", "echo finally")).ok());
  ASSERT_TRUE(first_listener.WaitForStatus("waiter", {"Queued"}).has_value());
  ASSERT_TRUE(first_listener.WaitForStatus("holder", {"Running"}).has_value());
  first->Shutdown();
  first.reset();

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  ASSERT_TRUE(second->Recover().ok());
  std::ofstream(CodeDir("holder") + "/go").put('\n');

  EXPECT_EQ(second_listener.WaitForEnd("holder")->status, "Completed");
  EXPECT_EQ(second_listener.WaitForEnd("waiter")->status, "Completed");
  EXPECT_THAT(second_listener.Lines("waiter", 0), ElementsAre("finally"));
}

TEST_F(LocalExecutorRecoverTest, LaunchBeforeRecoverIsRejected) {
  RecordingListener first_listener;
  auto first = MakeExecutor(&first_listener);
  ASSERT_TRUE(first->Launch(Spec("twice", "exit 0")).ok());
  ASSERT_TRUE(first_listener.WaitForEnd("twice").has_value());
  first->Shutdown();
  first.reset();

  RecordingListener second_listener;
  auto second = MakeExecutor(&second_listener);
  absl::Status launched = second->Launch(Spec("twice", "exit 0"));

  EXPECT_EQ(launched.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(launched.message(), HasSubstr("call Recover() first"));
}

}  // namespace
}  // namespace ty::executors::local
