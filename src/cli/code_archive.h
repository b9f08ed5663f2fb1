#pragma once

// Packs a job's code folder into an uncompressed tar in memory, for upload as
// the job's code snapshot (POST /api/v1/blobs).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::cli {

// Largest code folder packed by default: 100 MiB of file content.
// NOTE: the server rejects request bodies over 64 MiB (docs/rest-api.md), so a
// snapshot between 64 and 100 MiB passes this check and then fails at upload
// with the server's 413 message.
inline constexpr uint64_t kDefaultMaxCodeBytes = uint64_t{100} << 20;

struct CodeArchiveOptions {
  uint64_t max_bytes = kDefaultMaxCodeBytes;  // limit on the sum of file sizes
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
// add up to more than `max_bytes`; the read error naming the file when one
// cannot be read or listed; kInvalidArgument for a socket, FIFO or device.
absl::StatusOr<CodeArchive> PackCodeFolder(const std::filesystem::path& folder,
                                           const CodeArchiveOptions& options = {});

// Formats a byte count for messages: "512 B", "1.5 KiB", "100.0 MiB".
std::string FormatBytes(uint64_t bytes);

}  // namespace ty::cli
