#include "executors/local/local_executor.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/local/file_util.h"
#include "executors/local/log_format.h"
#include "executors/local/shim_protocol.h"
#include "executors/local/test_archive.h"
#include "executors/local/test_listener.h"

namespace ty::executors::local {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LocalExecutorTest : public LocalExecutorTestBase {};

TEST_F(LocalExecutorTest, EchoedLinesArriveInOrder) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("g/w/echo", "for i in $(seq 1 500); do echo line-$i; done")).ok());
  auto end = listener.WaitForEnd("g/w/echo");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  EXPECT_EQ(end->exit_code, 0);
  EXPECT_THAT(listener.JobStatuses("g/w/echo"),
              ElementsAre("Preparing", "Starting", "Running", "Finalizing", "Completed"));
  std::vector<std::string> expected;
  for (int i = 1; i <= 500; ++i) expected.push_back(fmt::format("line-{}", i));
  EXPECT_EQ(listener.Lines("g/w/echo", 0), expected);
}

TEST_F(LocalExecutorTest, RankEventsCarryTheRank) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("ranks", "true")).ok());
  ASSERT_TRUE(listener.WaitForEnd("ranks").has_value());

  std::vector<std::string> rank_statuses;
  for (const agent::StatusEvent& event : listener.Events("ranks")) {
    if (event.rank == 0) rank_statuses.push_back(event.status);
  }
  EXPECT_THAT(rank_statuses, ElementsAre("Running", "Completed"));
}

TEST_F(LocalExecutorTest, NonZeroExitFailsWithCode) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("exit3", "echo about to fail; exit 3")).ok());
  auto end = listener.WaitForEnd("exit3");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 3);
  EXPECT_EQ(end->signal, std::nullopt);
  EXPECT_EQ(end->message, "process exited with code 3");
  EXPECT_THAT(listener.Lines("exit3", 0), ElementsAre("about to fail"));
}

TEST_F(LocalExecutorTest, MissingCommandFailsWith127) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("missing", "no-such-program-xyz --flag")).ok());
  auto end = listener.WaitForEnd("missing");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->exit_code, 127);
  EXPECT_THAT(end->message, HasSubstr("command not found: 'no-such-program-xyz'"));
}

// Verifies that a kill from outside is reported as a signal, not an exit code.
TEST_F(LocalExecutorTest, OutsideSigkillIsReportedAsSignal) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("killed", "echo started; sleep 1000")).ok());
  ASSERT_TRUE(listener.WaitForLine("killed", 0, "started"));
  pid_t group = ChildGroup("killed", 0);
  ASSERT_GT(group, 0);
  ASSERT_EQ(kill(-group, SIGKILL), 0);
  auto end = listener.WaitForEnd("killed");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->signal, SIGKILL);
  EXPECT_EQ(end->exit_code, std::nullopt);
  EXPECT_EQ(end->message, "process killed by signal 9 (SIGKILL) from outside the agent");
}

TEST_F(LocalExecutorTest, CancelStopsEveryProcess) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("cancel", "echo started; sleep 1000")).ok());
  ASSERT_TRUE(listener.WaitForLine("cancel", 0, "started"));
  pid_t group = ChildGroup("cancel", 0);
  ASSERT_TRUE(executor->Cancel("cancel", "user asked").ok());
  ASSERT_TRUE(executor->Cancel("cancel", "asked again").ok());
  auto end = listener.WaitForEnd("cancel");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Canceled");
  EXPECT_EQ(end->message, "user asked");
  EXPECT_TRUE(GroupGone(group));
  EXPECT_THAT(listener.Lines("cancel", 0), ElementsAre("started"));
  EXPECT_TRUE(executor->Cancel("cancel", "after the end").ok());
  EXPECT_TRUE(executor->Cancel("never-launched", "unknown").ok());
}

TEST_F(LocalExecutorTest, IgnoredSigtermEndsWithSigkill) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("stubborn", "trap '' TERM; echo ready; sleep 1000")).ok());
  ASSERT_TRUE(listener.WaitForLine("stubborn", 0, "ready"));
  pid_t group = ChildGroup("stubborn", 0);
  ASSERT_TRUE(executor->Cancel("stubborn", "stop").ok());
  auto end = listener.WaitForEnd("stubborn");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Canceled");
  EXPECT_TRUE(GroupGone(group));
  auto rank_end = listener.WaitForStatus("stubborn", {"Canceled"}, 0);
  ASSERT_TRUE(rank_end.has_value());
  EXPECT_EQ(rank_end->signal, SIGKILL);
}

// Verifies that background processes, inside the group or in a session of
// their own, do not outlive the command that started them.
TEST_F(LocalExecutorTest, LeftoverChildrenAreStopped) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor
                  ->Launch(Spec("forks", "sleep 1000 & echo $! > inside.pid; "
                                         "setsid sleep 1000 & echo $! > escaped.pid; echo done"))
                  .ok());
  auto end = listener.WaitForEnd("forks");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  for (const char* file : {"inside.pid", "escaped.pid"}) {
    auto pid = ReadPidFile(CodeDir("forks") + "/" + file);
    ASSERT_TRUE(pid.ok()) << file;
    EXPECT_NE(kill(*pid, 0), 0) << file;
    EXPECT_EQ(errno, ESRCH) << file;
  }
}

TEST_F(LocalExecutorTest, TimeoutFailsTheJob) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("slow", "echo started; sleep 1000");
  spec.timeout = std::chrono::seconds(1);

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("slow");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_EQ(end->message, "job exceeded its time limit of 1 s");
  EXPECT_TRUE(GroupGone(ChildGroup("slow", 0)));
}

TEST_F(LocalExecutorTest, HugeLineAndBinaryOutputArriveAsUtf8) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor
                  ->Launch(Spec("bytes", "head -c 10000000 /dev/zero | tr '\\0' a; echo; "
                                         "head -c 1000000 /dev/urandom; echo; echo end"))
                  .ok());
  auto end = listener.WaitForEnd("bytes");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  std::vector<std::string> lines = listener.Lines("bytes", 0);
  size_t long_line_bytes = 0;
  size_t index = 0;
  while (index < lines.size() && lines[index].find_first_not_of('a') == std::string::npos) {
    long_line_bytes += lines[index].size();
    ++index;
  }
  EXPECT_EQ(long_line_bytes, 10000000u);
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 3 * kMaxPieceBytes);
    EXPECT_EQ(SanitizeUtf8(line), line);
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "end");
}

TEST_F(LocalExecutorTest, OutputsUploadedBeforeTerminalStatus) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("outputs", "echo weights > ${{outputs.model}}/weights.txt");
  spec.outputs = {"model"};

  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_TRUE(listener.WaitForEnd("outputs").has_value());

  EXPECT_THAT(listener.Sequence("outputs"),
              ElementsAre("status:Preparing", "status:Starting", "status:Running",
                          "status:Finalizing", "upload:model", "status:Completed"));
  EXPECT_THAT(listener.uploaded_files()["model"], ElementsAre("weights.txt"));
}

TEST_F(LocalExecutorTest, CommandSeesInputsAndEnvironment) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec =
      Spec("env", "echo lr=${{inputs.lr}}; echo data=${{inputs.data}}; echo id=$TRAINYARD_JOB_ID; "
                  "echo custom=$CUSTOM; echo cuda=${CUDA_VISIBLE_DEVICES-unset}; "
                  "echo outputs=$TRAINYARD_OUTPUTS_DIR");
  spec.inputs["lr"] = {.type = "literal", .value = "0.01"};
  spec.inputs["data"] = {.type = "uri_folder", .value = "/data/my set", .mode = "direct"};
  spec.environment["CUSTOM"] = "value with spaces";

  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_TRUE(listener.WaitForEnd("env").has_value());

  std::string outputs_dir = work_root_ + "/env/outputs";
  EXPECT_THAT(listener.Lines("env", 0),
              ElementsAre("lr=0.01", "data=/data/my set", "id=env", "custom=value with spaces",
                          "cuda=unset", "outputs=" + outputs_dir));
}

TEST_F(LocalExecutorTest, GpusGoToOneJobAtATime) {
  capacity_.gpus = {{.index = 0, .model = "Test GPU"}, {.index = 1, .model = "Test GPU"}};
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec first = Spec("gpu-a", "echo cuda=$CUDA_VISIBLE_DEVICES; while [ ! -f go ]; do sleep 0.02; done");
  first.resources.gpus = 1;
  agent::LaunchSpec second = first;
  second.job_id = "gpu-b";
  agent::LaunchSpec third = first;
  third.job_id = "gpu-c";
  agent::LaunchSpec cpu_only = Spec("cpu", "echo cuda=[$CUDA_VISIBLE_DEVICES]");

  // Jobs start in FIFO order, so the CPU-only job goes before the one that
  // must wait.
  ASSERT_TRUE(executor->Launch(first).ok());
  ASSERT_TRUE(executor->Launch(second).ok());
  ASSERT_TRUE(executor->Launch(cpu_only).ok());
  ASSERT_TRUE(executor->Launch(third).ok());

  auto queued = listener.WaitForStatus("gpu-c", {"Queued"});
  ASSERT_TRUE(queued.has_value());
  EXPECT_THAT(queued->message, HasSubstr("1 GPU (0 of 2 free)"));
  ASSERT_TRUE(listener.WaitForEnd("cpu").has_value());
  EXPECT_THAT(listener.Lines("cpu", 0), ElementsAre("cuda=[]"));
  ASSERT_TRUE(listener.WaitForLine("gpu-a", 0, "cuda=0"));
  ASSERT_TRUE(listener.WaitForLine("gpu-b", 0, "cuda=1"));

  std::ofstream(CodeDir("gpu-a") + "/go").put('\n');
  ASSERT_TRUE(listener.WaitForEnd("gpu-a").has_value());
  ASSERT_TRUE(listener.WaitForLine("gpu-c", 0, "cuda=0"));
  std::ofstream(CodeDir("gpu-b") + "/go").put('\n');
  std::ofstream(CodeDir("gpu-c") + "/go").put('\n');
  EXPECT_EQ(listener.WaitForEnd("gpu-b")->status, "Completed");
  EXPECT_EQ(listener.WaitForEnd("gpu-c")->status, "Completed");
}

TEST_F(LocalExecutorTest, JobThatCanNeverFitIsRejected) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("too-big", "true");
  spec.resources.gpus = 1;

  absl::Status launched = executor->Launch(spec);

  EXPECT_EQ(launched.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(launched.message(), HasSubstr("has no schedulable GPUs"));
  EXPECT_TRUE(executor->Inventory().empty());
}

TEST_F(LocalExecutorTest, QueuedJobCancelsAtOnce) {
  capacity_.cpus = 1;
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("holder", "sleep 1000")).ok());
  ASSERT_TRUE(executor->Launch(Spec("waiter", "echo should not run")).ok());
  ASSERT_TRUE(listener.WaitForStatus("waiter", {"Queued"}).has_value());
  ASSERT_TRUE(executor->Cancel("waiter", "not needed").ok());
  ASSERT_TRUE(executor->Cancel("holder", "done").ok());

  EXPECT_EQ(listener.WaitForEnd("waiter")->status, "Canceled");
  EXPECT_EQ(listener.WaitForEnd("holder")->status, "Canceled");
  EXPECT_THAT(listener.JobStatuses("waiter"), ElementsAre("Queued", "Canceled"));
}

TEST_F(LocalExecutorTest, RepeatedLaunchRunsOnce) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("once", "echo ran");

  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_TRUE(executor->Launch(spec).ok());
  ASSERT_TRUE(listener.WaitForEnd("once").has_value());
  ASSERT_TRUE(executor->Launch(spec).ok());

  EXPECT_THAT(listener.Lines("once", 0), ElementsAre("ran"));
  EXPECT_EQ(executor->Inventory().size(), 1u);
}

TEST_F(LocalExecutorTest, ForgetRemovesFinishedJob) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  ASSERT_TRUE(executor->Launch(Spec("forget", "true")).ok());
  ASSERT_TRUE(listener.WaitForEnd("forget").has_value());
  std::vector<agent::JobState> before = executor->Inventory();
  executor->Forget("forget");

  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].status, "Completed");
  EXPECT_EQ(before[0].exit_code, 0);
  EXPECT_TRUE(executor->Inventory().empty());
  EXPECT_FALSE(std::filesystem::exists(work_root_ + "/forget"));
}

// Verifies that a listener may forget a job from inside its terminal
// OnStatus, on the job's own thread, without deadlock.
TEST_F(LocalExecutorTest, ForgetFromListenerCallback) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  listener.SetStatusHook([&](const agent::StatusEvent& event) {
    if (event.job_id == "self-forget" && !event.rank && event.status == "Completed") {
      executor->Forget("self-forget");
    }
  });

  ASSERT_TRUE(executor->Launch(Spec("self-forget", "true")).ok());
  ASSERT_TRUE(listener.WaitForEnd("self-forget").has_value());
  bool forgotten = false;
  for (int i = 0; i < 6000 && !forgotten; ++i) {
    forgotten = executor->Inventory().empty();
    if (!forgotten) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  EXPECT_TRUE(forgotten);
  EXPECT_FALSE(std::filesystem::exists(work_root_ + "/self-forget"));
}

TEST_F(LocalExecutorTest, MpiWithoutMpirunFailsClearly) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("mpi", "echo rank");
  spec.distribution = "mpi";
  spec.instance_count = 2;
  spec.environment["PATH"] = "/nonexistent";

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("mpi");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_THAT(end->message, HasSubstr("needs 'mpirun', which is not on PATH '/nonexistent'"));
}

TEST_F(LocalExecutorTest, MissingCodeArchiveFailsTheJob) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("no-archive", "true");
  spec.code_archive = work_root_ + "/missing.tar";

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("no-archive");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_THAT(end->message, HasSubstr("open code snapshot"));
}

TEST_F(LocalExecutorTest, CodeSnapshotIsTheWorkingFolder) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("code", "sh scripts/train.sh");
  spec.code_archive = work_root_ + "/code.tar.gz";
  ASSERT_TRUE(WriteTarArchive(spec.code_archive, {{"scripts/train.sh", "echo training in $(basename $PWD)\n"}}).ok());

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("code");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Completed");
  EXPECT_THAT(listener.Lines("code", 0), ElementsAre("training in code"));
}

TEST_F(LocalExecutorTest, SnapshotClimbingOutFailsTheJob) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);
  agent::LaunchSpec spec = Spec("evil", "true");
  spec.code_archive = work_root_ + "/evil.tar";
  ASSERT_TRUE(WriteTarArchive(spec.code_archive, {{"../escaped.txt", "gotcha\n"}}).ok());

  ASSERT_TRUE(executor->Launch(spec).ok());
  auto end = listener.WaitForEnd("evil");

  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status, "Failed");
  EXPECT_THAT(end->message, HasSubstr("'../escaped.txt' that climbs out with '..'"));
  EXPECT_FALSE(std::filesystem::exists(work_root_ + "/evil/escaped.txt"));
}

TEST_F(LocalExecutorTest, DiscoverCapacityReturnsTheHost) {
  RecordingListener listener;
  auto executor = MakeExecutor(&listener);

  auto nodes = executor->DiscoverCapacity();

  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].name, "test-host");
  EXPECT_EQ((*nodes)[0].cpus, 64);
}

}  // namespace
}  // namespace ty::executors::local
