#pragma once

// Small file helpers for the local executor's journal files.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::executors::local {

// Whether WriteFileAtomic flushes the file to disk before renaming it.
enum class Durability {
  // Survives a crash of any process, which is all that files describing
  // running processes need: a machine crash ends those processes too.
  kProcessCrash,
  // Survives a machine crash as well, at the cost of an fsync.
  kMachineCrash,
};

// Writes `contents` to `path` through a temporary file in the same folder
// and a rename, so readers see the old file or the new one, never a partial
// one.
absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                             Durability durability = Durability::kProcessCrash);

// Sets `bytes` bytes of disk aside in `path`.reserve for a later
// WriteReservedFile, so that file can still be written once the disk is
// full. Errors: kInternal naming the file, with no reserve left behind.
absl::Status ReserveFile(const std::string& path, size_t bytes);

// Writes `contents` into the space ReserveFile set aside, flushes it to disk
// and renames it to `path`, which needs no new disk blocks. Errors:
// kNotFound without a reserve, kResourceExhausted when `contents` is larger
// than the reserve, kInternal naming the failed step.
absl::Status WriteReservedFile(const std::string& path, const std::string& contents);

// Reads the whole file. Errors: kNotFound when it does not exist, kInternal
// on other read failures.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Formats `error_number` as its strerror text, for messages.
std::string ErrnoText(int error_number);

}  // namespace ty::executors::local
