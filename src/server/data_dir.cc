#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/random.h"

namespace ty::server {
namespace {

// 32 random bytes, written as 64 hex digits.
constexpr size_t kAdminTokenBytes = 32;

absl::Status SystemError(std::string_view action, const std::filesystem::path& path) {
  return absl::InternalError(fmt::format("{} '{}': {}", action, path.string(), strerror(errno)));
}

}  // namespace

absl::Status PrepareDataDir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        fmt::format("create data dir '{}': {}", dir.string(), error.message()));
  }
  if (::chmod(dir.c_str(), 0700) != 0) return SystemError("chmod", dir);
  return absl::OkStatus();
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<DataDirLock> LockDataDir(const std::filesystem::path& dir) {
  std::filesystem::path lock_path = dir / "server.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError("open", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(fmt::format(
        "another trainyard server is using data dir '{}'; stop it or pick another --data-dir",
        dir.string()));
  }
  return DataDirLock(fd);
}

absl::StatusOr<std::string> LoadOrCreateAdminToken(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = RandomHex(kAdminTokenBytes);
    std::string line = token + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                   ::fsync(fd) == 0;
    absl::Status status = written ? absl::OkStatus() : SystemError("write", path);
    ::close(fd);
    if (!status.ok()) return status;
    return token;
  }
  if (errno != EEXIST) return SystemError("create", path);

  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    log::Warning("admin token file '{}' is readable by other users; run chmod 600 on it",
                 path.string());
  }
  std::ifstream file(path);
  std::string token;
  std::getline(file, token);
  if (token.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "admin token file '{}' is empty; delete it to have a new token created", path.string()));
  }
  return token;
}

}  // namespace ty::server
