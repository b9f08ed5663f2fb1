#include "executors/local/input_staging.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class InputStagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("input_staging_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data" / "sub");
    std::ofstream(root_ / "data" / "a.txt") << "a";
    std::ofstream(root_ / "data" / "sub" / "b.txt") << "b";
  }
  void TearDown() override { fs::remove_all(root_); }

  absl::StatusOr<std::map<std::string, agent::InputBinding>> Stage(agent::InputBinding binding) {
    return StageInputs({{"x", binding}}, (root_ / "job" / "inputs").string());
  }

  std::string Data(const std::string& relative = "") const {
    return relative.empty() ? (root_ / "data").string() : (root_ / "data" / relative).string();
  }

  fs::path root_;
};

TEST_F(InputStagingTest, RoMountPassesTheOwnPath) {
  auto staged = Stage({.type = "uri_folder", .value = Data(), .mode = "ro_mount"});

  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(staged->at("x").value, Data());
}

TEST_F(InputStagingTest, DownloadCopiesAFolder) {
  auto staged = Stage({.type = "uri_folder", .value = Data(), .mode = "download"});

  ASSERT_TRUE(staged.ok()) << staged.status();
  fs::path copy = staged->at("x").value;
  EXPECT_EQ(copy, root_ / "job" / "inputs" / "x");
  EXPECT_TRUE(fs::is_regular_file(copy / "a.txt"));
  EXPECT_TRUE(fs::is_regular_file(copy / "sub" / "b.txt"));
}

TEST_F(InputStagingTest, DownloadCopiesAFileKeepingItsName) {
  auto staged = Stage({.type = "uri_file", .value = Data("a.txt"), .mode = "download"});

  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(fs::path(staged->at("x").value), root_ / "job" / "inputs" / "x" / "a.txt");
  EXPECT_TRUE(fs::is_regular_file(staged->at("x").value));
}

TEST_F(InputStagingTest, DownloadAgainReplacesTheOldCopy) {
  ASSERT_TRUE(Stage({.type = "uri_folder", .value = Data(), .mode = "download"}).ok());
  fs::remove(root_ / "data" / "a.txt");

  auto staged = Stage({.type = "uri_folder", .value = Data(), .mode = "download"});

  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_FALSE(fs::exists(root_ / "job" / "inputs" / "x" / "a.txt"));
}

TEST_F(InputStagingTest, DirectAndLiteralsPassUnchecked) {
  auto staged = StageInputs(
      {{"uri", {.type = "uri_folder", .value = "https://example.invalid/d", .mode = "direct"}},
       {"epochs", {.type = "literal", .value = "10"}}},
      (root_ / "job" / "inputs").string());

  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(staged->at("uri").value, "https://example.invalid/d");
  EXPECT_EQ(staged->at("epochs").value, "10");
}

TEST_F(InputStagingTest, MissingPathIsNamed) {
  auto staged = Stage({.type = "uri_folder", .value = Data("nope"), .mode = "ro_mount"});

  EXPECT_EQ(staged.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(staged.status().message(), HasSubstr("input 'x'"));
  EXPECT_THAT(staged.status().message(), HasSubstr(Data("nope")));
}

TEST_F(InputStagingTest, RelativePathIsRejected) {
  auto staged = Stage({.type = "uri_folder", .value = "data", .mode = "download"});

  EXPECT_EQ(staged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(staged.status().message(), HasSubstr("relative"));
}

TEST_F(InputStagingTest, UriOutsideDirectModeIsRejected) {
  auto staged = Stage({.type = "uri_folder", .value = "https://example.invalid/d", .mode = "ro_mount"});

  EXPECT_EQ(staged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(staged.status().message(), HasSubstr("mode: direct"));
}

TEST_F(InputStagingTest, TypeMismatchIsNamed) {
  auto folder_as_file = Stage({.type = "uri_file", .value = Data(), .mode = "ro_mount"});
  auto file_as_folder = Stage({.type = "uri_folder", .value = Data("a.txt"), .mode = "download"});

  EXPECT_EQ(folder_as_file.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(folder_as_file.status().message(), HasSubstr("uri_folder"));
  EXPECT_EQ(file_as_folder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(file_as_folder.status().message(), HasSubstr("uri_file"));
}

}  // namespace
}  // namespace ty::executors::local
