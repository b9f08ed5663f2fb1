#pragma once

// File helpers for the CLI with errors that name the file and the cause.

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::cli {

// Returns the whole content of `path`. kNotFound, kPermissionDenied or
// kInternal, naming the file and the system error.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

// Writes `content` to `path` through a temporary file in the same folder,
// created with `mode`, synced and renamed over `path`, so readers see the old
// or the new file whole and the content is never readable under another mode.
// Missing parent folders are created with mode 0700.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                 int mode);

// Returns the status for the system error `error_number` of `action`
// ("cannot read") on `path`, with a code that fits the error.
absl::Status FileError(std::string_view action, const std::filesystem::path& path,
                       int error_number);

}  // namespace ty::cli
