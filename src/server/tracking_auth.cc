#include "server/tracking_auth.h"

#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/mlflow_common.h"
#include "store/job_tokens.h"

namespace ty::server {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

// The tracking resources under .../jobs/{job}/.
bool IsJobTrackingResource(std::string_view resource) {
  constexpr std::array<std::string_view, 5> kResources = {"run", "metrics", "params", "tags",
                                                          "artifacts"};
  for (std::string_view allowed : kResources) {
    if (resource == allowed) return true;
  }
  return false;
}

}  // namespace

bool IsJobTokenPath(const http::Request& request) {
  std::vector<std::string_view> segments = Segments(request.path);
  auto starts_with = [&segments](std::initializer_list<std::string_view> prefix) {
    if (segments.size() < prefix.size()) return false;
    size_t i = 0;
    for (std::string_view part : prefix) {
      if (segments[i++] != part) return false;
    }
    return true;
  };
  if (starts_with({"api", "2.0", "mlflow"})) return true;
  if (starts_with({"api", "2.0", "mlflow-artifacts"})) return true;
  if (starts_with({"api", "v1", "runs"}) && segments.size() >= 4) return true;
  if (request.method == "POST" && segments.size() == 3 && starts_with({"api", "v1", "blobs"})) {
    return true;
  }
  // /api/v1/resourceGroups/{g}/workspaces/{w}/jobs/{j}/{resource}[/...]
  return segments.size() >= 9 && starts_with({"api", "v1", "resourceGroups"}) &&
         segments[4] == "workspaces" && segments[6] == "jobs" &&
         IsJobTrackingResource(segments[8]) &&
         !(segments[8] == "artifacts" && request.method == "GET");
}

absl::Status AuthenticateJobToken(store::Database& database, http::Request& request,
                                  std::string_view token) {
  request.headers.erase(kJobTokenRunHeader);
  ASSIGN_OR_RETURN(store::Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(std::optional<std::string> run_id, store::FindJobTokenRun(transaction, token));
  if (!run_id) {
    return absl::UnauthenticatedError(
        "missing or wrong API token; send \"Authorization: Bearer <token>\" with the admin "
        "token, or with the job token in TRAINYARD_TOKEN while its job runs");
  }
  if (!IsJobTokenPath(request)) {
    log::Warning("[run {}] job token rejected for {} {} because job tokens only log tracking "
                 "data",
                 *run_id, request.method, request.path);
    return absl::PermissionDeniedError(fmt::format(
        "a job token can only log to its own run, not {} {}: use the admin token", request.method,
        request.path));
  }
  request.headers[kJobTokenRunHeader] = *run_id;
  return absl::OkStatus();
}

absl::Status CheckRunAccess(const http::Request& request, std::string_view run_id) {
  std::string token_run = request.Header(kJobTokenRunHeader);
  if (token_run.empty() || token_run == run_id) return absl::OkStatus();
  return absl::PermissionDeniedError(
      fmt::format("the job token of run '{}' cannot access run '{}': use the admin token, or "
                  "log to the run in TRAINYARD_RUN_ID",
                  token_run, run_id));
}

absl::Status RequireAdminToken(const http::Request& request, std::string_view action) {
  std::string token_run = request.Header(kJobTokenRunHeader);
  if (token_run.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(fmt::format(
      "the job token of run '{}' does not allow {}: use the admin token", token_run, action));
}

http::Response AuthErrorResponse(const http::Request& request, const absl::Status& status) {
  if (request.path.starts_with("/api/2.0/mlflow/")) return MlflowErrorResponse(status);
  return ErrorResponse(status);
}

}  // namespace ty::server
