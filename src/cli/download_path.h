#pragma once

#include <filesystem>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::cli {

// Returns where the artifact `relative` goes under the folder `root`.
// kInvalidArgument naming the path when it is empty, absolute, has a ".."
// segment or a backslash, or leads outside `root` through a symbolic link
// already inside `root`, so a server can never make the CLI write elsewhere.
absl::StatusOr<std::filesystem::path> ResolveDownloadPath(const std::filesystem::path& root,
                                                          std::string_view relative);

}  // namespace ty::cli
