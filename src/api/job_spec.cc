#include "api/job_spec.h"

#include <nlohmann/json.hpp>

namespace ty::api {

std::string_view DistributionTypeName(DistributionType) { return ""; }
std::string_view DataTypeName(DataType) { return ""; }
std::string_view InputModeName(InputMode) { return ""; }
std::string_view OutputModeName(OutputMode) { return ""; }

// Skeleton: implementations follow in the next commit.
absl::StatusOr<JobSpec> ParseJobSpec(std::string_view) {
  return absl::UnimplementedError("ParseJobSpec");
}
nlohmann::json JobSpecToJson(const JobSpec&) { return nlohmann::json::object(); }
absl::StatusOr<std::string> ApplySetOverrides(std::string_view, const std::vector<std::string>&) {
  return absl::UnimplementedError("ApplySetOverrides");
}
absl::StatusOr<std::string> SubstituteCommand(std::string_view,
                                              const std::map<std::string, std::string>&,
                                              const std::map<std::string, std::string>&) {
  return absl::UnimplementedError("SubstituteCommand");
}

}  // namespace ty::api
