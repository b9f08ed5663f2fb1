#include "executors/local/file_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

class ReservedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/reserved_file_test_XXXXXX";
    folder_ = mkdtemp(pattern);
    path_ = folder_ + "/status.json";
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::string folder_;
  std::string path_;
};

TEST_F(ReservedFileTest, WriteReplacesReserveWithContents) {
  ASSERT_TRUE(ReserveFile(path_, 4096).ok());
  EXPECT_EQ(std::filesystem::file_size(path_ + ".reserve"), 4096u);

  ASSERT_TRUE(WriteReservedFile(path_, R"({"exitCode":0})").ok());

  auto written = ReadFile(path_);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, R"({"exitCode":0})");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".reserve"));
}

TEST_F(ReservedFileTest, WriteWithoutReserveIsNotFound) {
  absl::Status written = WriteReservedFile(path_, "{}");

  EXPECT_EQ(written.code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ReservedFileTest, ContentsLargerThanReserveAreRejected) {
  ASSERT_TRUE(ReserveFile(path_, 8).ok());

  absl::Status written = WriteReservedFile(path_, "more than eight bytes");

  EXPECT_EQ(written.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(written.message().find("room for 8 bytes"), absl::string_view::npos) << written;
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(std::filesystem::exists(path_ + ".reserve"));
}

}  // namespace
}  // namespace ty::executors::local
