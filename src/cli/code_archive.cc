#include "cli/code_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "cli/files.h"
#include "cli/ignore_rules.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

enum class EntryType { kFile, kFolder, kSymlink };

struct Entry {
  std::string relative_path;  // '/'-separated, relative to the code folder
  std::filesystem::path path;
  EntryType type = EntryType::kFile;
  uint64_t size = 0;
  bool executable = false;
  std::string link_target;
};

// Folders left out whatever the rule files contain: git's own data and
// Python's caches.
bool IsSkippedFolder(const std::string& name) { return name == ".git" || name == "__pycache__"; }

struct Walk {
  std::vector<Entry> entries;
  IgnoreRules rules;
  uint64_t excluded = 0;
  std::vector<std::string> rule_files;  // code-folder relative paths
};

// Lists `folder` recursively into `walk.entries` without following links,
// leaving out what the rule files exclude.
absl::Status Collect(const std::filesystem::path& folder, const std::string& prefix, Walk& walk) {
  ASSIGN_OR_RETURN(std::string rule_file, walk.rules.AddFolder(folder, prefix));
  if (!rule_file.empty()) {
    walk.rule_files.push_back(prefix.empty() ? rule_file : prefix + "/" + rule_file);
  }
  std::error_code error;
  std::filesystem::directory_iterator it(folder, error);
  if (error) return FileError("cannot list folder", folder, error.value());

  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    const std::filesystem::path& path = it->path();
    std::string name = path.filename().string();
    std::string relative = prefix.empty() ? name : prefix + "/" + name;
    struct stat info;
    if (::lstat(path.c_str(), &info) != 0) return FileError("cannot read", path, errno);

    Entry entry{.relative_path = relative, .path = path};
    if (walk.rules.Excludes(relative, S_ISDIR(info.st_mode))) {
      ++walk.excluded;
      continue;
    }
    std::vector<Entry>& entries = walk.entries;
    if (S_ISDIR(info.st_mode)) {
      if (IsSkippedFolder(name)) continue;
      entry.type = EntryType::kFolder;
      entries.push_back(entry);
      RETURN_IF_ERROR(Collect(path, relative, walk));
    } else if (S_ISREG(info.st_mode)) {
      entry.size = static_cast<uint64_t>(info.st_size);
      entry.executable = (info.st_mode & S_IXUSR) != 0;
      entries.push_back(entry);
    } else if (S_ISLNK(info.st_mode)) {
      entry.type = EntryType::kSymlink;
      entry.link_target = std::filesystem::read_symlink(path, error).string();
      if (error) return FileError("cannot read link", path, error.value());
      entries.push_back(entry);
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "'{}' in the code folder is not a file, folder or link (a socket, FIFO or device); "
          "move it out of the code folder",
          path.string()));
    }
  }
  if (error) return FileError("cannot list folder", folder, error.value());
  return absl::OkStatus();
}

la_ssize_t AppendToString(struct archive*, void* buffer, const void* data, size_t size) {
  static_cast<std::string*>(buffer)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

absl::Status ArchiveError(struct archive* archive, std::string_view action) {
  const char* message = archive_error_string(archive);
  return absl::InternalError(
      fmt::format("cannot pack the code folder: {}: {}", action, message ? message : "unknown error"));
}

absl::Status WriteEntry(struct archive* archive, const Entry& entry, const std::string& content) {
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> header(archive_entry_new(),
                                                                              archive_entry_free);
  archive_entry_set_pathname(header.get(), entry.relative_path.c_str());
  archive_entry_set_mtime(header.get(), 0, 0);
  switch (entry.type) {
    case EntryType::kFolder:
      archive_entry_set_filetype(header.get(), AE_IFDIR);
      archive_entry_set_perm(header.get(), 0755);
      break;
    case EntryType::kSymlink:
      archive_entry_set_filetype(header.get(), AE_IFLNK);
      archive_entry_set_perm(header.get(), 0777);
      archive_entry_set_symlink(header.get(), entry.link_target.c_str());
      break;
    case EntryType::kFile:
      archive_entry_set_filetype(header.get(), AE_IFREG);
      archive_entry_set_perm(header.get(), entry.executable ? 0755 : 0644);
      archive_entry_set_size(header.get(), static_cast<la_int64_t>(content.size()));
      break;
  }
  if (archive_write_header(archive, header.get()) != ARCHIVE_OK) {
    return ArchiveError(archive, entry.relative_path);
  }
  if (!content.empty() &&
      archive_write_data(archive, content.data(), content.size()) !=
          static_cast<la_ssize_t>(content.size())) {
    return ArchiveError(archive, entry.relative_path);
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  for (const char* unit : {"KiB", "MiB", "GiB"}) {
    if (value < 1024 || std::string_view(unit) == "GiB") return fmt::format("{:.1f} {}", value, unit);
    value /= 1024;
  }
  return fmt::format("{} B", bytes);
}

absl::StatusOr<CodeArchive> PackCodeFolder(const std::filesystem::path& folder,
                                           const CodeArchiveOptions& options) {
  std::error_code error;
  if (!std::filesystem::exists(folder, error)) {
    return absl::NotFoundError(fmt::format(
        "code folder '{}' does not exist; `code:` is resolved relative to the job file's folder",
        folder.string()));
  }
  if (!std::filesystem::is_directory(folder, error)) {
    return absl::InvalidArgumentError(
        fmt::format("code path '{}' is not a folder; point `code:` at a folder", folder.string()));
  }

  Walk walk;
  RETURN_IF_ERROR(Collect(folder, "", walk));
  std::vector<Entry>& entries = walk.entries;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.relative_path < b.relative_path; });

  // The sizes are checked before any content is read, so an oversized folder
  // fails fast instead of filling memory.
  CodeArchive result{.excluded_count = walk.excluded, .rule_files = walk.rule_files};
  for (const Entry& entry : entries) {
    if (entry.type == EntryType::kFile) result.content_bytes += entry.size;
  }
  if (result.content_bytes > options.max_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "code folder '{}' contains {} of files, over the {} limit; move data out of it and pass it as "
        "a job input instead, or list it in .amlignore",
        folder.string(), FormatBytes(result.content_bytes), FormatBytes(options.max_bytes)));
  }

  std::unique_ptr<struct archive, decltype(&archive_write_free)> archive(archive_write_new(),
                                                                         archive_write_free);
  archive_write_set_format_pax_restricted(archive.get());
  if (archive_write_open(archive.get(), &result.tar, nullptr, AppendToString, nullptr) !=
      ARCHIVE_OK) {
    return ArchiveError(archive.get(), "open");
  }
  std::function<absl::StatusOr<std::string>(const std::filesystem::path&)> read_file =
      options.read_file;
  if (!read_file) read_file = ReadFile;
  for (const Entry& entry : entries) {
    std::string content;
    if (entry.type == EntryType::kFile) {
      ASSIGN_OR_RETURN(content, read_file(entry.path));
      ++result.file_count;
    }
    RETURN_IF_ERROR(WriteEntry(archive.get(), entry, content));
  }
  if (archive_write_close(archive.get()) != ARCHIVE_OK) return ArchiveError(archive.get(), "close");
  if (result.tar.size() > options.max_archive_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "code folder '{}' packs into a {} archive ({} of files plus tar headers), over the "
        "server's {} upload limit; move data out of it and pass it as a job input instead",
        folder.string(), FormatBytes(result.tar.size()), FormatBytes(result.content_bytes),
        FormatBytes(options.max_archive_bytes)));
  }
  return result;
}

}  // namespace ty::cli
