#include "server/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace ty::server {
namespace {

constexpr std::string_view kPrefix = "sha256:";

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status WriteFileDurably(const std::filesystem::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("create '{}': {}", path.string(), strerror(errno)));
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = strerror(errno);
      ::close(fd);
      return absl::InternalError(fmt::format("write '{}': {}", path.string(), error));
    }
    written += static_cast<size_t>(n);
  }
  // The blob must survive a crash once its digest has been returned.
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return absl::InternalError(fmt::format("sync '{}': {}", path.string(), strerror(errno)));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::filesystem::path> BlobStore::PathFor(std::string_view digest,
                                                         std::string_view field) const {
  std::string_view hex = digest;
  if (hex.substr(0, kPrefix.size()) == kPrefix) hex.remove_prefix(kPrefix.size());
  if (digest.substr(0, kPrefix.size()) != kPrefix || hex.size() != 64 || !IsLowerHex(hex)) {
    return InvalidField(field, fmt::format("invalid blob digest '{}'; expected sha256: followed "
                                           "by 64 lowercase hex digits, as POST /api/v1/blobs "
                                           "returns",
                                           digest));
  }
  return root_ / "sha256" / std::string(hex.substr(0, 2)) / std::string(hex);
}

absl::StatusOr<BlobInfo> BlobStore::Put(std::string_view data) {
  BlobInfo info{Sha256Digest(data), static_cast<int64_t>(data.size())};
  ASSIGN_OR_RETURN(std::filesystem::path path, PathFor(info.digest, "digest"));
  std::error_code error;
  if (std::filesystem::exists(path, error)) return info;

  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return absl::InternalError(
        fmt::format("create '{}': {}", path.parent_path().string(), error.message()));
  }
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + NewId();
  absl::Status written = WriteFileDurably(temporary, data);
  if (written.ok()) {
    std::filesystem::rename(temporary, path, error);
    if (error) written = absl::InternalError(fmt::format("rename '{}': {}", path.string(), error.message()));
  }
  if (!written.ok()) std::filesystem::remove(temporary, error);
  RETURN_IF_ERROR(written);
  return info;
}

absl::StatusOr<std::string> BlobStore::Get(std::string_view digest, std::string_view field) const {
  ASSIGN_OR_RETURN(std::filesystem::path path, PathFor(digest, field));
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(fmt::format("blob '{}' not found", digest));
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

absl::StatusOr<bool> BlobStore::Contains(std::string_view digest, std::string_view field) const {
  ASSIGN_OR_RETURN(std::filesystem::path path, PathFor(digest, field));
  std::error_code error;
  return std::filesystem::exists(path, error);
}

absl::StatusOr<int64_t> BlobStore::SizeOf(std::string_view digest, std::string_view field) const {
  ASSIGN_OR_RETURN(std::filesystem::path path, PathFor(digest, field));
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    return absl::NotFoundError(fmt::format("blob '{}' not found: {}", digest, error.message()));
  }
  return static_cast<int64_t>(size);
}

}  // namespace ty::server
