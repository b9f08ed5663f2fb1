#include "server/data_dir.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "store/temp_dir.h"

namespace ty::server {
namespace {

int ModeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return static_cast<int>(info.st_mode & 0777);
}

TEST(DataDirTest, PrepareCreatesPrivateFolder) {
  store::TempDir temp;
  std::filesystem::path dir = temp.path() / "a" / "data";
  ASSERT_TRUE(PrepareDataDir(dir).ok());
  EXPECT_EQ(ModeOf(dir), 0700);
}

TEST(DataDirTest, AdminTokenCreatedOnceWithOwnerOnlyMode) {
  store::TempDir temp;
  std::filesystem::path path = temp.path() / "admin-token";
  auto first = LoadOrCreateAdminToken(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(ModeOf(path), 0600);

  auto second = LoadOrCreateAdminToken(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
}

TEST(DataDirTest, EmptyTokenFileIsRejected) {
  store::TempDir temp;
  std::filesystem::path path = temp.path() / "admin-token";
  std::ofstream(path).close();
  EXPECT_EQ(LoadOrCreateAdminToken(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DataDirTest, SecondLockFails) {
  store::TempDir temp;
  auto first = LockDataDir(temp.path());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = LockDataDir(temp.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DataDirTest, LockReleasedOnDestruction) {
  store::TempDir temp;
  { ASSERT_TRUE(LockDataDir(temp.path()).ok()); }
  EXPECT_TRUE(LockDataDir(temp.path()).ok());
}

}  // namespace
}  // namespace ty::server
