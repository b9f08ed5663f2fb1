#include "executors/local/job_layout.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/local/test_archive.h"

namespace ty::executors::local {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ty-layout-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(JobFolderName, KeepsDistinctIdsDistinct) {
  EXPECT_EQ(JobFolderName("rg/ws/job-1"), "rg%2Fws%2Fjob-1");
  EXPECT_NE(JobFolderName("a/b"), JobFolderName("a_b"));
  EXPECT_NE(JobFolderName("a/b"), JobFolderName("a%2Fb"));
  EXPECT_EQ(JobFolderName(".."), "%2E.");
  EXPECT_EQ(JobFolderName("v1.2"), "v1.2");
}

TEST(CreateJobLayout, MakesOutputAndRankFolders) {
  TempDir temp;
  JobPaths paths(temp.path() + "/job");

  ASSERT_TRUE(CreateJobLayout(paths, {"model", "metrics"}, 2).ok());

  EXPECT_TRUE(fs::is_directory(paths.code_dir));
  EXPECT_TRUE(fs::is_directory(paths.OutputDir("model")));
  EXPECT_TRUE(fs::is_directory(paths.OutputDir("metrics")));
  EXPECT_TRUE(fs::is_directory(paths.RankDir(0)));
  EXPECT_TRUE(fs::is_directory(paths.RankDir(1)));
}

TEST(CreateJobLayout, RejectsOutputNameWithSlash) {
  TempDir temp;
  absl::Status created = CreateJobLayout(JobPaths(temp.path() + "/job"), {"../up"}, 1);

  EXPECT_EQ(created.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(created.message(), HasSubstr("output name '../up'"));
}

TEST(ExtractCodeArchive, ExtractsFiles) {
  TempDir temp;
  std::string archive = temp.path() + "/code.tar";
  ASSERT_TRUE(WriteTarArchive(archive, {{"train.py", "print(1)\n"}, {"lib/util.py", "x = 1\n"}}).ok());

  ASSERT_TRUE(ExtractCodeArchive(archive, temp.path()).ok());

  EXPECT_EQ(ReadAll(temp.path() + "/train.py"), "print(1)\n");
  EXPECT_EQ(ReadAll(temp.path() + "/lib/util.py"), "x = 1\n");
}

TEST(ExtractCodeArchive, RejectsDotDotEntry) {
  TempDir temp;
  fs::create_directories(temp.path() + "/code");
  std::string archive = temp.path() + "/evil.tar";
  ASSERT_TRUE(WriteTarArchive(archive, {{"ok.txt", "fine\n"}, {"sub/../../escaped.txt", "x\n"}}).ok());

  absl::Status extracted = ExtractCodeArchive(archive, temp.path() + "/code");

  EXPECT_EQ(extracted.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(extracted.message(), HasSubstr("'sub/../../escaped.txt' that climbs out"));
  EXPECT_FALSE(fs::exists(temp.path() + "/escaped.txt"));
}

TEST(ExtractCodeArchive, RejectsAbsoluteEntry) {
  TempDir temp;
  std::string archive = temp.path() + "/evil.tar";
  std::string target = temp.path() + "/absolute.txt";
  ASSERT_TRUE(WriteTarArchive(archive, {{target, "x\n"}}).ok());

  absl::Status extracted = ExtractCodeArchive(archive, temp.path() + "/code");

  EXPECT_EQ(extracted.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(extracted.message(), HasSubstr("absolute path"));
  EXPECT_FALSE(fs::exists(target));
}

TEST(ExtractCodeArchive, ReportsUnreadableArchive) {
  TempDir temp;
  std::ofstream(temp.path() + "/garbage.tar") << "this is not a tar archive";

  absl::Status extracted = ExtractCodeArchive(temp.path() + "/garbage.tar", temp.path());

  EXPECT_EQ(extracted.code(), absl::StatusCode::kDataLoss);
}

TEST(ShellQuote, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(ShellQuote("/data/set-1/file.csv"), "/data/set-1/file.csv");
  EXPECT_EQ(ShellQuote("/data/my set"), "'/data/my set'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(SubstituteCommand, ReplacesInputsAndOutputs) {
  std::map<std::string, agent::InputBinding> inputs = {
      {"lr", {.type = "literal", .value = "0.1"}},
      {"data", {.type = "uri_folder", .value = "/mnt/my data", .mode = "ro_mount"}}};
  std::map<std::string, std::string> outputs = {{"model", "/work/job/outputs/model"}};

  auto command = SubstituteCommand(
      "python train.py --lr ${{inputs.lr}} --data ${{ inputs.data }} --out ${{outputs.model}}",
      inputs, outputs);

  ASSERT_TRUE(command.ok());
  EXPECT_EQ(*command,
            "python train.py --lr 0.1 --data '/mnt/my data' --out /work/job/outputs/model");
}

TEST(SubstituteCommand, RejectsUndeclaredInput) {
  auto command = SubstituteCommand("echo ${{inputs.missing}}", {{"lr", {.type = "literal"}}}, {});

  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(command.status().message(), HasSubstr("names no input 'missing'"));
  EXPECT_THAT(command.status().message(), HasSubstr("lr"));
}

TEST(SubstituteCommand, RejectsOtherExpressions) {
  auto command = SubstituteCommand("echo ${{secrets.token}}", {}, {});

  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(command.status().message(), HasSubstr("secrets.token"));
}

TEST(SubstituteCommand, RejectsUnterminatedReference) {
  auto command = SubstituteCommand("echo ${{inputs.lr", {}, {});

  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(command.status().message(), HasSubstr("unterminated"));
}

}  // namespace
}  // namespace ty::executors::local
