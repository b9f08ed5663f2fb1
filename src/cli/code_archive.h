#pragma once

// Packs a job's code folder into an uncompressed tar in memory, for upload as
// the job's code snapshot (POST /api/v1/blobs).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http/limits.h"

namespace ty::cli {

// Largest code folder packed by default: as much file content as the
// server accepts in one upload (64 MiB).
inline constexpr uint64_t kDefaultMaxCodeBytes = http::kMaxRequestBodyBytes;

struct CodeArchiveOptions {
  uint64_t max_bytes = kDefaultMaxCodeBytes;  // limit on the sum of file sizes
  // Limit on the packed archive, whose tar headers add to the file
  // contents: the server's upload limit.
  uint64_t max_archive_bytes = http::kMaxRequestBodyBytes;
  // Reads one file; tests substitute it to make a file unreadable, which
  // permission bits cannot do for root.
  std::function<absl::StatusOr<std::string>(const std::filesystem::path&)> read_file;
};

struct CodeArchive {
  std::string tar;
  uint64_t file_count = 0;
  uint64_t content_bytes = 0;  // sum of the packed files' sizes
  uint64_t excluded_count = 0;  // files and folders left out by rule files
  std::vector<std::string> rule_files;  // the rule files read, code-folder relative
};

// Packs `folder` recursively. Folders named .git or __pycache__ are skipped
// at any depth, and so is whatever the folder's .amlignore or .gitignore
// files exclude (see ignore_rules.h); the size limit counts only what is
// packed. Entries are sorted by path and carry no owner and a zero
// modification time, so the same content always gives the same bytes and
// thus the same content-addressed snapshot. Symbolic links are stored as
// links; files keep only their execute bit (mode 0755 or 0644).
// Errors: kNotFound or kInvalidArgument when `folder` is missing or not a
// folder; kResourceExhausted, naming the size and the limit, when the files
// add up to more than `max_bytes` or the archive is larger than
// `max_archive_bytes`; the read error naming the file when one
// cannot be read or listed; kInvalidArgument for a socket, FIFO or device.
absl::StatusOr<CodeArchive> PackCodeFolder(const std::filesystem::path& folder,
                                           const CodeArchiveOptions& options = {});

// Formats a byte count for messages: "512 B", "1.5 KiB", "100.0 MiB".
std::string FormatBytes(uint64_t bytes);

}  // namespace ty::cli
