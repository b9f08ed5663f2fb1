#include "executors/local/process_group.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "executors/local/file_util.h"

namespace ty::executors::local {
namespace {

using namespace std::string_literals;

constexpr char kRankDir[] = "/tmp/job/ranks/0";

TEST(ShimMatchesTest, ShimOfThisRank) {
  EXPECT_TRUE(ShimMatches("/usr/bin/trainyard\0shim\0/tmp/job/ranks/0\0"s, 'S', kRankDir));
}

TEST(ShimMatchesTest, ShimOfAnotherRank) {
  EXPECT_FALSE(ShimMatches("/usr/bin/trainyard\0shim\0/tmp/job/ranks/1\0"s, 'S', kRankDir));
}

TEST(ShimMatchesTest, ReusedPidOfAnotherProgram) {
  EXPECT_FALSE(ShimMatches("/bin/sleep\0" "100\0"s, 'S', kRankDir));
}

TEST(ShimMatchesTest, EmptyCommandLineDuringExec) {
  EXPECT_TRUE(ShimMatches("", 'R', kRankDir));
  EXPECT_TRUE(ShimMatches("", 'D', kRankDir));
}

TEST(ShimMatchesTest, ZombieIsGone) {
  EXPECT_FALSE(ShimMatches("", 'Z', kRankDir));
  EXPECT_FALSE(ShimMatches("/usr/bin/trainyard\0shim\0/tmp/job/ranks/0\0"s, 'Z', kRankDir));
}

class SpawnShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/spawn_shim_test_XXXXXX";
    folder_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::string folder_;
};

TEST_F(SpawnShimTest, MissingProgramNamesPath) {
  auto spawned = SpawnShim(folder_ + "/no-such-shim", folder_);

  ASSERT_FALSE(spawned.ok());
  EXPECT_EQ(spawned.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(spawned.status().message().find(folder_ + "/no-such-shim"), absl::string_view::npos)
      << spawned.status();
}

TEST_F(SpawnShimTest, WritesShimLogAndIsReaped) {
  // `sleep shim DIR` rejects its arguments at once, on stderr.
  auto spawned = SpawnShim("/bin/sleep", folder_);
  ASSERT_TRUE(spawned.ok()) << spawned.status();

  ReapShim(*spawned, std::chrono::seconds(10));

  EXPECT_FALSE(IsShimAlive(*spawned, folder_));
  errno = 0;
  EXPECT_EQ(waitpid(*spawned, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  auto log = ReadFile(folder_ + "/shim.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_NE(log->find("shim"), std::string::npos) << *log;
}

TEST_F(SpawnShimTest, ReapShimIgnoresProcessesNotChildren) {
  // pid 1 is never this test's child, so this returns without waiting.
  ReapShim(1, std::chrono::hours(1));
  ReapShim(0, std::chrono::hours(1));
}

}  // namespace
}  // namespace ty::executors::local
