#include "cli/code_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/files.h"

namespace ty::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct TarEntry {
  std::string content;
  int mode = 0;
  std::string link;
};

// Reads a tar back into path -> entry, folders with a trailing '/'.
std::map<std::string, TarEntry> ReadTar(const std::string& tar) {
  std::map<std::string, TarEntry> entries;
  struct archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  EXPECT_EQ(archive_read_open_memory(reader, tar.data(), tar.size()), ARCHIVE_OK);
  struct archive_entry* header = nullptr;
  while (archive_read_next_header(reader, &header) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(header);
    TarEntry entry;
    entry.mode = archive_entry_perm(header);
    if (archive_entry_filetype(header) == AE_IFDIR && !path.ends_with('/')) path += "/";
    if (archive_entry_symlink(header) != nullptr) entry.link = archive_entry_symlink(header);
    char buffer[4096];
    la_ssize_t count;
    while ((count = archive_read_data(reader, buffer, sizeof(buffer))) > 0) {
      entry.content.append(buffer, count);
    }
    entries[path] = entry;
  }
  archive_read_free(reader);
  return entries;
}

std::vector<std::string> Keys(const std::map<std::string, TarEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : entries) keys.push_back(key);
  return keys;
}

class CodeArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("cli_code_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override {
    std::filesystem::permissions(folder_ / "secret.txt", std::filesystem::perms::owner_all,
                                 ignored_);
    std::filesystem::remove_all(folder_);
  }

  void Write(const std::string& relative, const std::string& content) {
    std::filesystem::path path = folder_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  std::filesystem::path folder_;
  std::error_code ignored_;
};

TEST_F(CodeArchiveTest, PacksFilesSkippingGitAndPycache) {
  Write("train.py", "print('hi')\n");
  Write("lib/util.py", "x = 1\n");
  Write("run.sh", "#!/bin/sh\n");
  std::filesystem::permissions(folder_ / "run.sh", std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  Write(".git/HEAD", "ref: x\n");
  Write("lib/__pycache__/util.cpython-311.pyc", "bytecode");
  std::filesystem::create_symlink("train.py", folder_ / "main.py");

  auto archive = PackCodeFolder(folder_);

  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ(archive->file_count, 3u);
  EXPECT_EQ(archive->content_bytes, 12u + 6u + 10u);
  auto entries = ReadTar(archive->tar);
  EXPECT_THAT(Keys(entries), ElementsAre("lib/", "lib/util.py", "main.py", "run.sh", "train.py"));
  EXPECT_EQ(entries["train.py"].content, "print('hi')\n");
  EXPECT_EQ(entries["train.py"].mode, 0644);
  EXPECT_EQ(entries["run.sh"].mode, 0755);
  EXPECT_EQ(entries["main.py"].link, "train.py");
}

TEST_F(CodeArchiveTest, SameContentGivesSameBytes) {
  Write("a.py", "a");
  Write("b/c.py", "c");
  auto first = PackCodeFolder(folder_);
  std::filesystem::last_write_time(folder_ / "a.py", std::filesystem::file_time_type::clock::now() -
                                                         std::chrono::hours(5));
  auto second = PackCodeFolder(folder_);

  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->tar, second->tar);
}

TEST_F(CodeArchiveTest, RejectsFolderOverLimitNamingSizes) {
  Write("data.bin", std::string(3000, 'x'));

  auto archive = PackCodeFolder(folder_, {.max_bytes = 2048});

  EXPECT_EQ(archive.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(archive.status().message(), HasSubstr("2.9 KiB"));
  EXPECT_THAT(archive.status().message(), HasSubstr("over the 2.0 KiB limit"));
  EXPECT_THAT(archive.status().message(), HasSubstr(folder_.string()));
}

TEST_F(CodeArchiveTest, AmlignoreLeavesOutDataAndTheLimitCountsOnlyWhatIsPacked) {
  Write("train.py", "x");
  Write("data/big.bin", std::string(3000, 'x'));
  Write("logs/run.log", "log");
  Write("logs/keep.log", "keep");
  Write(".amlignore", "# data stays local\ndata/\n*.log\n!keep.log\n");
  Write(".gitignore", "train.py\n");  // not read: .amlignore wins

  auto archive = PackCodeFolder(folder_, {.max_bytes = 2048});

  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_THAT(Keys(ReadTar(archive->tar)),
              ElementsAre(".amlignore", ".gitignore", "logs/", "logs/keep.log", "train.py"));
  EXPECT_EQ(archive->excluded_count, 2u);
  EXPECT_THAT(archive->rule_files, ElementsAre(".amlignore"));
}

TEST_F(CodeArchiveTest, NestedGitignoreAppliesToItsSubtree) {
  Write("a/.gitignore", "*.tmp\n");
  Write("a/x.tmp", "1");
  Write("b/y.tmp", "2");

  auto archive = PackCodeFolder(folder_);

  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_THAT(Keys(ReadTar(archive->tar)), ElementsAre("a/", "a/.gitignore", "b/", "b/y.tmp"));
  EXPECT_THAT(archive->rule_files, ElementsAre("a/.gitignore"));
}

TEST_F(CodeArchiveTest, RejectsArchiveOverUploadLimit) {
  // Each file costs a 512-byte header and pads its content to 512 bytes, so
  // content under the content limit can still pack into too large an archive.
  for (int i = 0; i < 8; ++i) Write("file" + std::to_string(i) + ".txt", "x");

  auto archive = PackCodeFolder(folder_, {.max_bytes = 1024, .max_archive_bytes = 4096});

  EXPECT_EQ(archive.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(archive.status().message(), HasSubstr("over the server's 4.0 KiB upload limit"));
  EXPECT_THAT(archive.status().message(), HasSubstr("8 B of files"));
  EXPECT_THAT(archive.status().message(), HasSubstr(folder_.string()));
}

TEST_F(CodeArchiveTest, DefaultLimitMatchesServerUploadLimit) {
  EXPECT_EQ(kDefaultMaxCodeBytes, http::kMaxRequestBodyBytes);
  EXPECT_EQ(CodeArchiveOptions().max_archive_bytes, http::kMaxRequestBodyBytes);
}

TEST_F(CodeArchiveTest, UnreadableFileIsNamed) {
  Write("ok.py", "1");
  Write("secret.txt", "2");
  CodeArchiveOptions options;
  options.read_file = [](const std::filesystem::path& path) -> absl::StatusOr<std::string> {
    if (path.filename() == "secret.txt") return FileError("cannot read", path, EACCES);
    return ReadFile(path);
  };

  auto archive = PackCodeFolder(folder_, options);

  EXPECT_EQ(archive.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(archive.status().message(), HasSubstr("secret.txt"));
}

// Permission bits stop only other users than root, so this runs for them.
TEST_F(CodeArchiveTest, FileWithoutReadPermissionIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of permission bits";
  Write("secret.txt", "2");
  std::filesystem::permissions(folder_ / "secret.txt", std::filesystem::perms::none);

  auto archive = PackCodeFolder(folder_);

  EXPECT_EQ(archive.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(archive.status().message(), HasSubstr("secret.txt"));
}

TEST_F(CodeArchiveTest, MissingFolderIsNotFound) {
  auto archive = PackCodeFolder(folder_ / "absent");

  EXPECT_EQ(archive.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(archive.status().message(), HasSubstr("absent"));
}

TEST(FormatBytesTest, UsesBinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(uint64_t{100} << 20), "100.0 MiB");
}

}  // namespace
}  // namespace ty::cli
