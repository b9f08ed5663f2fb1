#include "executors/kubernetes/launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::kubernetes {
namespace {

using ::testing::HasSubstr;

struct LauncherRun {
  int exit_code = -1;
  std::string output;
};

// Runs `script` as a pod's launcher would: /bin/sh in its own session, with
// JOB_COMPLETION_INDEX and the command variable set. The multi-process
// launcher keeps exit codes under kRunFolder, so the script's copy points
// at a temporary folder instead.
LauncherRun RunLauncher(std::string script, int index, const std::string& command) {
  std::string run_dir = ::testing::TempDir() + "/launcher-" + std::to_string(getpid());
  std::filesystem::remove_all(run_dir);
  for (size_t at = script.find(kRunFolder); at != std::string::npos;
       at = script.find(kRunFolder, at + run_dir.size())) {
    script.replace(at, std::string_view(kRunFolder).size(), run_dir);
  }
  setenv("JOB_COMPLETION_INDEX", std::to_string(index).c_str(), 1);
  setenv(kCommandVariable, command.c_str(), 1);
  std::string path = run_dir + ".sh";
  FILE* file = fopen(path.c_str(), "w");
  fputs(script.c_str(), file);
  fclose(file);
  LauncherRun run;
  FILE* pipe = popen(("setsid /bin/sh " + path + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) run.output += buffer;
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove_all(run_dir);
  std::filesystem::remove(path);
  return run;
}

agent::LaunchSpec TwoByTwo() {
  agent::LaunchSpec spec;
  spec.instance_count = 2;
  spec.processes_per_instance = 2;
  spec.distribution = "pytorch";
  return spec;
}

TEST(LauncherTest, SingleProcessSetsRanksFromIndex) {
  agent::LaunchSpec spec;
  spec.instance_count = 3;
  LauncherRun run = RunLauncher(LauncherScript(spec), 2,
                        "echo RANK=$RANK LOCAL_RANK=$LOCAL_RANK NODE_RANK=$NODE_RANK; exit 4");
  EXPECT_EQ(run.exit_code, 4);
  EXPECT_EQ(run.output, "RANK=2 LOCAL_RANK=0 NODE_RANK=2\n");
}

// Verifies the rank layout of a 2 x 2 job on its second instance: ranks 2
// and 3, local ranks 0 and 1, node rank 1, each line prefixed by its rank.
TEST(LauncherTest, MultiProcessNumbersRanksAndPrefixesLines) {
  LauncherRun run = RunLauncher(LauncherScript(TwoByTwo()), 1,
                        "echo RANK=$RANK LOCAL_RANK=$LOCAL_RANK NODE_RANK=$NODE_RANK");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("[rank 2] RANK=2 LOCAL_RANK=0 NODE_RANK=1\n"));
  EXPECT_THAT(run.output, HasSubstr("[rank 3] RANK=3 LOCAL_RANK=1 NODE_RANK=1\n"));
}

// Verifies that the first failing process ends the instance with its exit
// code and stops the process that would otherwise run on.
TEST(LauncherTest, FailingRankStopsTheOthers) {
  auto start = std::chrono::steady_clock::now();
  LauncherRun run = RunLauncher(LauncherScript(TwoByTwo()), 0,
                        "if [ $LOCAL_RANK = 1 ]; then exit 7; fi; sleep 30");
  EXPECT_EQ(run.exit_code, 7);
  EXPECT_THAT(run.output, HasSubstr("[rank 1] exited with code 7"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(LauncherTest, TensorflowConfigPerTask) {
  agent::LaunchSpec spec;
  spec.instance_count = 3;
  spec.distribution = "tensorflow";
  spec.parameter_server_count = 1;
  setenv("TRAINYARD_TF_CLUSTER", R"({"worker":["a:1","b:1"],"ps":["c:1"]})", 1);
  LauncherRun worker = RunLauncher(LauncherScript(spec), 1, "echo $TF_CONFIG");
  EXPECT_EQ(worker.output,
            "{\"cluster\":{\"worker\":[\"a:1\",\"b:1\"],\"ps\":[\"c:1\"]},"
            "\"task\":{\"type\":\"worker\",\"index\":1}}\n");
  LauncherRun ps = RunLauncher(LauncherScript(spec), 2, "echo $TF_CONFIG");
  EXPECT_THAT(ps.output, HasSubstr("\"task\":{\"type\":\"ps\",\"index\":0}"));
}

TEST(LauncherTest, EscapeDoublesDollars) {
  EXPECT_EQ(EscapeForKubelet("a $(B) $$ c"), "a $$(B) $$$$ c");
  EXPECT_EQ(EscapeForKubelet("plain"), "plain");
}

}  // namespace
}  // namespace ty::executors::kubernetes
