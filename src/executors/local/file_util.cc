#include "executors/local/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace ty::executors::local {

std::string ErrnoText(int error_number) { return std::strerror(error_number); }

absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                             Durability durability) {
  std::string temp_path = fmt::format("{}.tmp.{}", path, getpid());
  int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(fmt::format("create '{}': {}", temp_path, ErrnoText(errno)));
  }

  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      unlink(temp_path.c_str());
      return absl::InternalError(fmt::format("write '{}': {}", temp_path, ErrnoText(saved)));
    }
    written += static_cast<size_t>(n);
  }

  // The fsync makes the rename publish complete contents even if the machine
  // stops right after it.
  bool synced = durability == Durability::kProcessCrash || fsync(fd) == 0;
  if (!synced || close(fd) != 0) {
    int saved = errno;
    unlink(temp_path.c_str());
    return absl::InternalError(fmt::format("flush '{}': {}", temp_path, ErrnoText(saved)));
  }
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(temp_path.c_str());
    return absl::InternalError(
        fmt::format("rename '{}' to '{}': {}", temp_path, path, ErrnoText(saved)));
  }
  return absl::OkStatus();
}

namespace {

// Writes all of `data` at `offset`; returns false with errno set on failure.
bool WriteAllAt(int fd, std::string_view data, off_t offset) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = pwrite(fd, data.data() + written, data.size() - written,
                       offset + static_cast<off_t>(written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::Status ReserveFile(const std::string& path, size_t bytes) {
  std::string reserve_path = path + ".reserve";
  int fd = open(reserve_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(fmt::format("create '{}': {}", reserve_path, ErrnoText(errno)));
  }
  // Real bytes, not a hole: only written blocks are taken from the disk.
  bool written = WriteAllAt(fd, std::string(bytes, ' '), 0);
  int saved = errno;
  close(fd);
  if (!written) {
    unlink(reserve_path.c_str());
    return absl::InternalError(fmt::format("write '{}': {}", reserve_path, ErrnoText(saved)));
  }
  return absl::OkStatus();
}

absl::Status WriteReservedFile(const std::string& path, const std::string& contents) {
  std::string reserve_path = path + ".reserve";
  int fd = open(reserve_path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(fmt::format("open '{}': {}", reserve_path, ErrnoText(errno)));
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || static_cast<size_t>(info.st_size) < contents.size()) {
    close(fd);
    return absl::ResourceExhaustedError(fmt::format(
        "'{}' has room for {} bytes, not {}", reserve_path, info.st_size, contents.size()));
  }
  // Overwriting and then shrinking the file uses only blocks it already has.
  if (!WriteAllAt(fd, contents, 0) || ftruncate(fd, static_cast<off_t>(contents.size())) != 0 ||
      fsync(fd) != 0) {
    int saved = errno;
    close(fd);
    return absl::InternalError(fmt::format("write '{}': {}", reserve_path, ErrnoText(saved)));
  }
  close(fd);
  if (rename(reserve_path.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        fmt::format("rename '{}' to '{}': {}", reserve_path, path, ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(fmt::format("'{}' does not exist", path));
    return absl::InternalError(fmt::format("open '{}': {}", path, ErrnoText(errno)));
  }
  std::string contents;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      return absl::InternalError(fmt::format("read '{}': {}", path, ErrnoText(saved)));
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return contents;
}

}  // namespace ty::executors::local
