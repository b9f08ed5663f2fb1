#include "cli/download_path.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::cli {
namespace {

using ::testing::HasSubstr;

class DownloadPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("cli_download_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
};

TEST_F(DownloadPathTest, KeepsRelativePath) {
  auto path = ResolveDownloadPath(root_, "outputs/model/weights.pt");

  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, root_ / "outputs" / "model" / "weights.pt");
}

TEST_F(DownloadPathTest, RejectsPathsLeavingTheFolder) {
  for (const char* bad : {"../x", "outputs/../../x", "/etc/passwd", "", "a\\..\\b", "."}) {
    auto path = ResolveDownloadPath(root_, bad);
    EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(path.status().message(), HasSubstr("refusing to download artifact")) << bad;
  }
}

TEST_F(DownloadPathTest, RejectsSymlinkLeadingOutside) {
  std::filesystem::create_directory_symlink("/tmp", root_ / "escape");

  auto path = ResolveDownloadPath(root_, "escape/x.txt");

  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(path.status().message(), HasSubstr("symbolic link"));
}

}  // namespace
}  // namespace ty::cli
