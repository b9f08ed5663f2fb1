#pragma once

// The server's data folder: created private to its owner, locked against a
// second server, and holding the admin API token.

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::server {

// Creates `dir` (and its parents) when missing and restricts it to its owner
// (mode 0700). Errors: kInternal when it cannot be created.
absl::Status PrepareDataDir(const std::filesystem::path& dir);

// An exclusive lock on a data folder, released on destruction.
class DataDirLock {
 public:
  explicit DataDirLock(int fd) : fd_(fd) {}
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  int fd_;
};

// Locks `dir` through the file `server.lock` in it. Errors:
// kFailedPrecondition when another server (or another lock in this
// process) holds it; kInternal when the lock file cannot be opened.
absl::StatusOr<DataDirLock> LockDataDir(const std::filesystem::path& dir);

// Reads the admin token from `path`, creating the file with a new random
// token (64 hex digits) on first use. The file is created with O_EXCL and
// mode 0600, so the token is never written to a file other users can read.
// An existing file readable by others is used but logged as a warning.
// Errors: kInternal when the file cannot be written; kFailedPrecondition
// for an empty file.
absl::StatusOr<std::string> LoadOrCreateAdminToken(const std::filesystem::path& path);

}  // namespace ty::server
