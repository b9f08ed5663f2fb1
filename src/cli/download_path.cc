#include "cli/download_path.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "absl/strings/str_split.h"

namespace ty::cli {
namespace {

absl::Status Rejected(std::string_view relative, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("refusing to download artifact '{}': {}", relative, why));
}

bool IsInside(const std::filesystem::path& root, const std::filesystem::path& path) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

}  // namespace

absl::StatusOr<std::filesystem::path> ResolveDownloadPath(const std::filesystem::path& root,
                                                          std::string_view relative) {
  if (relative.empty()) return Rejected(relative, "the path is empty");
  if (relative.front() == '/') return Rejected(relative, "the path is absolute and would land outside the download folder");
  if (relative.find('\\') != std::string_view::npos) {
    return Rejected(relative, "the path contains a backslash");
  }
  for (absl::string_view segment : absl::StrSplit(std::string(relative), '/')) {
    if (segment == "..") return Rejected(relative, "a '..' segment would lead outside the download folder");
  }

  // A symbolic link inside `root` could still point elsewhere, so the
  // existing part of the path must resolve inside the resolved root.
  std::error_code error;
  std::filesystem::path resolved_root = std::filesystem::weakly_canonical(root, error);
  if (error) resolved_root = std::filesystem::absolute(root).lexically_normal();
  std::filesystem::path target = (root / std::filesystem::path(relative)).lexically_normal();
  std::filesystem::path resolved = std::filesystem::weakly_canonical(target, error);
  if (error) resolved = std::filesystem::absolute(target).lexically_normal();
  if (resolved == resolved_root) return Rejected(relative, "the path names the download folder");
  if (!IsInside(resolved_root, resolved)) {
    return Rejected(relative, "a symbolic link in the download folder leads outside it");
  }
  return target;
}

}  // namespace ty::cli
