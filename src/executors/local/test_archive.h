#pragma once

// Builds tar archives for tests, including entries a real snapshot tool
// would never write.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace ty::executors::local {

// Writes a tar archive at `path` (gzip-compressed when it ends in ".gz")
// holding regular files (name, contents), with names exactly as given.
absl::Status WriteTarArchive(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace ty::executors::local
