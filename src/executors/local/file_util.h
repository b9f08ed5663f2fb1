#pragma once

// Small file helpers for the local executor's journal files.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::executors::local {

// Writes `contents` to `path` through a temporary file in the same folder,
// fsync and rename, so readers see the old file or the new one, never a
// partial one.
absl::Status WriteFileAtomic(const std::string& path, const std::string& contents);

// Reads the whole file. Errors: kNotFound when it does not exist, kInternal
// on other read failures.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Formats `error_number` as its strerror text, for messages.
std::string ErrnoText(int error_number);

}  // namespace ty::executors::local
