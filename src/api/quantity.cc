#include "api/quantity.h"

namespace ty::api {

// Skeleton: implementations follow in the next commit.
absl::StatusOr<int64_t> ParseCpuMillis(std::string_view, std::string_view) {
  return absl::UnimplementedError("ParseCpuMillis");
}
absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view, std::string_view) {
  return absl::UnimplementedError("ParseMemoryBytes");
}
absl::StatusOr<int64_t> ParseCount(std::string_view, std::string_view) {
  return absl::UnimplementedError("ParseCount");
}
std::string FormatCpuMillis(int64_t) { return ""; }
std::string FormatMemoryBytes(int64_t) { return ""; }

}  // namespace ty::api
