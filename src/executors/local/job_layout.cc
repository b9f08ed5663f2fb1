#include "executors/local/job_layout.h"

#include <archive.h>
#include <archive_entry.h>

#include <cctype>
#include <filesystem>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "api/job_spec.h"

namespace ty::executors::local {
namespace {

namespace fs = std::filesystem;

bool IsPlainFolderName(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

// Returns an error when `path`, an archive entry or link target, is absolute
// or climbs out of the snapshot.
absl::Status CheckRelativePath(const std::string& archive, const char* kind,
                               const std::string& path) {
  if (path.starts_with("/")) {
    return absl::InvalidArgumentError(fmt::format(
        "code snapshot '{}' has {} with the absolute path '{}'; a snapshot must "
        "contain relative paths only",
        archive, kind, path));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(fmt::format(
          "code snapshot '{}' has {} '{}' that climbs out with '..'; rebuild the snapshot "
          "from a folder without such paths",
          archive, kind, path));
    }
  }
  return absl::OkStatus();
}

struct ArchiveReadDeleter {
  void operator()(archive* handle) const { archive_read_free(handle); }
};
struct ArchiveWriteDeleter {
  void operator()(archive* handle) const { archive_write_free(handle); }
};

}  // namespace

std::string JobFolderName(const std::string& job_id) {
  std::string name;
  for (size_t i = 0; i < job_id.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(job_id[i]);
    bool safe = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0);
    if (safe) {
      name.push_back(static_cast<char>(c));
    } else {
      name += fmt::format("%{:02X}", c);
    }
  }
  return name;
}

JobPaths::JobPaths(std::string dir)
    : job_dir(std::move(dir)),
      state_file(job_dir + "/state.json"),
      code_dir(job_dir + "/code"),
      outputs_dir(job_dir + "/outputs"),
      hostfile(job_dir + "/hostfile") {}

std::string JobPaths::OutputDir(const std::string& name) const {
  return outputs_dir + "/" + name;
}

std::string JobPaths::RankDir(int rank) const { return fmt::format("{}/rank-{}", job_dir, rank); }

absl::Status CreateJobLayout(const JobPaths& paths, const std::vector<std::string>& outputs,
                             int rank_count) {
  std::vector<std::string> folders = {paths.job_dir, paths.code_dir, paths.outputs_dir};
  for (const std::string& output : outputs) {
    if (!IsPlainFolderName(output)) {
      return absl::InvalidArgumentError(fmt::format(
          "output name '{}' is not a plain folder name; use letters, digits, '_' or '-'", output));
    }
    folders.push_back(paths.OutputDir(output));
  }
  for (int rank = 0; rank < rank_count; ++rank) folders.push_back(paths.RankDir(rank));

  for (const std::string& folder : folders) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error) {
      return absl::InternalError(fmt::format("create folder '{}': {}", folder, error.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ExtractCodeArchive(const std::string& archive_path, const std::string& destination) {
  std::unique_ptr<archive, ArchiveReadDeleter> reader(archive_read_new());
  archive_read_support_format_all(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_filename(reader.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return absl::DataLossError(fmt::format("open code snapshot '{}': {}", archive_path,
                                           archive_error_string(reader.get())));
  }

  // Entries are written at absolute paths under `destination`, so
  // libarchive's no-absolute-paths check cannot be used; the explicit checks
  // below cover it with a clearer message. Its '..' check backs them up, and
  // its symlink check stops an entry from being written through a link.
  std::unique_ptr<archive, ArchiveWriteDeleter> writer(archive_write_disk_new());
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  std::error_code error;
  std::string root = fs::absolute(destination, error).lexically_normal().string();
  if (error) root = destination;

  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return absl::DataLossError(fmt::format("read code snapshot '{}': {}", archive_path,
                                             archive_error_string(reader.get())));
    }

    std::string path = archive_entry_pathname(entry);
    if (absl::Status checked = CheckRelativePath(archive_path, "an entry", path); !checked.ok()) {
      return checked;
    }
    archive_entry_set_pathname(entry, (root + "/" + path).c_str());
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      if (absl::Status checked = CheckRelativePath(archive_path, "a hard link to", hardlink);
          !checked.ok()) {
        return checked;
      }
      archive_entry_set_hardlink(entry, (root + "/" + hardlink).c_str());
    }

    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      return absl::InternalError(fmt::format("extract '{}' from code snapshot '{}': {}", path,
                                             archive_path, archive_error_string(writer.get())));
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while ((rc = archive_read_data_block(reader.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) {
        return absl::InternalError(fmt::format("write '{}' from code snapshot '{}': {}", path,
                                               archive_path, archive_error_string(writer.get())));
      }
    }
    if (rc != ARCHIVE_EOF) {
      return absl::DataLossError(fmt::format("read '{}' from code snapshot '{}': {}", path,
                                             archive_path, archive_error_string(reader.get())));
    }
    archive_write_finish_entry(writer.get());
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    return absl::InternalError(fmt::format("finish extracting code snapshot '{}': {}",
                                           archive_path, archive_error_string(writer.get())));
  }
  return absl::OkStatus();
}

std::string ShellQuote(const std::string& value) {
  static constexpr std::string_view kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
  if (!value.empty() && value.find_first_not_of(kSafe) == std::string::npos) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "'";
}

absl::StatusOr<std::string> SubstituteCommand(
    const std::string& command, const std::map<std::string, agent::InputBinding>& inputs,
    const std::map<std::string, std::string>& output_dirs) {
  std::map<std::string, std::string> input_values;
  for (const auto& [name, binding] : inputs) {
    input_values[name] = binding.type == "literal" ? binding.value : ShellQuote(binding.value);
  }
  std::map<std::string, std::string> output_paths;
  for (const auto& [name, folder] : output_dirs) output_paths[name] = ShellQuote(folder);
  return api::SubstituteCommand(command, input_values, output_paths);
}

}  // namespace ty::executors::local
