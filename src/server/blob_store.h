#pragma once

// Content-addressed blobs (code snapshots, artifacts) as files under
// `<root>/sha256/<first two hex digits>/<64 hex digits>`. Writes go to a
// temporary file that is renamed into place, so a reader never sees part of
// a blob and storing the same bytes twice is harmless. Thread-safe.

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::server {

struct BlobInfo {
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root) : root_(std::move(root)) {}

  // Stores `data` and returns its digest. Errors: kInternal when the file
  // cannot be written.
  absl::StatusOr<BlobInfo> Put(std::string_view data);

  // Returns the blob's bytes. Errors: kInvalidArgument (field `field`) for a
  // malformed digest, kNotFound for an unknown one.
  absl::StatusOr<std::string> Get(std::string_view digest, std::string_view field = "digest") const;

  // Whether a blob with this digest is stored. Errors as for Get, except
  // that a missing blob is false.
  absl::StatusOr<bool> Contains(std::string_view digest, std::string_view field = "digest") const;

  // Returns the size in bytes of a stored blob. Errors as for Get.
  absl::StatusOr<int64_t> SizeOf(std::string_view digest, std::string_view field = "digest") const;

 private:
  absl::StatusOr<std::filesystem::path> PathFor(std::string_view digest,
                                                std::string_view field) const;

  std::filesystem::path root_;
};

}  // namespace ty::server
