#include "cli/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "common/random.h"

namespace ty::cli {
namespace {

absl::Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return FileError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FileError(std::string_view action, const std::filesystem::path& path,
                       int error_number) {
  std::string message =
      fmt::format("{} '{}': {}", action, path.string(), std::strerror(error_number));
  if (error_number == ENOENT) return absl::NotFoundError(message);
  if (error_number == EACCES || error_number == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot read", path, errno);

  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t count = ::read(fd, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      int error_number = errno;
      ::close(fd);
      return FileError("cannot read", path, error_number);
    }
    if (count == 0) break;
    content.append(buffer, static_cast<size_t>(count));
  }
  ::close(fd);
  return content;
}

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 int mode) {
  std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code error;
  if (!std::filesystem::exists(folder, error)) {
    std::filesystem::create_directories(folder, error);
    if (error) return FileError("cannot create folder", folder, error.value());
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all, error);
  }

  std::filesystem::path temporary =
      folder / fmt::format(".{}.{}.tmp", path.filename().string(), NewId());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return FileError("cannot create", temporary, errno);
  absl::Status status = WriteAll(fd, content, temporary);
  if (status.ok() && ::fsync(fd) != 0) status = FileError("cannot sync", temporary, errno);
  ::close(fd);
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = FileError("cannot replace", path, errno);
  }
  if (!status.ok()) ::unlink(temporary.c_str());
  return status;
}

}  // namespace ty::cli
