#include "up/bootstrap.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace ty::up {
namespace {

using nlohmann::json;

const std::string kGroupPath = absl::StrCat("/api/v1/resourceGroups/", kGroup);
const std::string kClusterPath = absl::StrCat(kGroupPath, "/connectedClusters/", kCluster);
const std::string kExtensionPath = absl::StrCat(kClusterPath, "/extensions/", kExtension);
const std::string kWorkspacePath = absl::StrCat(kGroupPath, "/workspaces/", kWorkspace);

absl::StatusCode CodeFromName(const std::string& name) {
  static const std::pair<const char*, absl::StatusCode> kCodes[] = {
      {"InvalidArgument", absl::StatusCode::kInvalidArgument},
      {"NotFound", absl::StatusCode::kNotFound},
      {"AlreadyExists", absl::StatusCode::kAlreadyExists},
      {"FailedPrecondition", absl::StatusCode::kFailedPrecondition},
      {"Unauthenticated", absl::StatusCode::kUnauthenticated},
      {"PermissionDenied", absl::StatusCode::kPermissionDenied},
      {"Aborted", absl::StatusCode::kAborted},
      {"Unavailable", absl::StatusCode::kUnavailable},
  };
  for (const auto& [text, code] : kCodes) {
    if (name == text) return code;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

Bootstrap::Bootstrap(std::unique_ptr<http::Client> client, std::string token)
    : client_(std::move(client)), token_(std::move(token)) {}

absl::StatusOr<json> Bootstrap::Call(const std::string& method, const std::string& path,
                                     const json& body) {
  std::string payload = body.is_null() ? "" : body.dump();
  absl::StatusOr<http::Response> response = client_->Send(
      method, path, payload, "application/json", {{"Authorization", "Bearer " + token_}});
  if (!response.ok()) return response.status();
  json parsed = json::parse(response->body, nullptr, false);
  if (response->status >= 200 && response->status < 300) {
    return parsed.is_discarded() ? json::object() : parsed;
  }
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    return absl::Status(CodeFromName(parsed["error"].value("code", "")),
                        parsed["error"].value("message", response->body));
  }
  return absl::InternalError(
      absl::StrCat(method, " ", path, ": HTTP ", response->status, " ", response->body));
}

absl::Status Bootstrap::Create(const std::string& path, const json& body) {
  absl::StatusOr<json> created = Call("POST", path, body);
  if (created.ok() || created.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::OkStatus();
  }
  return created.status();
}

absl::Status Bootstrap::WaitForHealth(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::Status last = absl::UnavailableError("no answer yet");
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<http::Response> response = client_->Send("GET", "/api/v1/health");
    if (response.ok() && response->status == 200) return absl::OkStatus();
    last = response.ok() ? absl::UnavailableError(absl::StrCat("HTTP ", response->status))
                         : response.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the server did not become healthy within ", timeout.count(),
                   " s: ", last.message()));
}

absl::Status Bootstrap::EnsureGroup() {
  return Create("/api/v1/resourceGroups", {{"name", kGroup}, {"location", kLocation}});
}

absl::StatusOr<std::string> Bootstrap::EnsureCluster() {
  absl::StatusOr<json> created =
      Call("POST", kGroupPath + "/connectedClusters",
           {{"name", kCluster}, {"location", kLocation}, {"kind", "local"}});
  if (created.ok()) return created->value("connectionString", "");
  if (created.status().code() == absl::StatusCode::kAlreadyExists) return std::string();
  return created.status();
}

absl::StatusOr<std::string> Bootstrap::ClusterHeartbeat() {
  ASSIGN_OR_RETURN(json cluster, Call("GET", kClusterPath));
  const json& heartbeat = cluster["properties"]["lastHeartbeat"];
  return heartbeat.is_string() ? heartbeat.get<std::string>() : std::string();
}

absl::Status Bootstrap::WaitForAgent(const std::string& before, std::chrono::seconds timeout,
                                     const std::string& agent_log) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<json> cluster = Call("GET", kClusterPath);
    if (cluster.ok()) {
      const json& properties = (*cluster)["properties"];
      const json& heartbeat = properties["lastHeartbeat"];
      bool moved = heartbeat.is_string() && heartbeat.get<std::string>() != before;
      if (moved && properties.value("connectivityStatus", "") == "Connected") {
        return absl::OkStatus();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the local agent did not connect within ", timeout.count(),
                   " s; see its log ", agent_log));
}

absl::Status Bootstrap::EnsureExtensionInstalled(std::chrono::seconds timeout) {
  json settings = {{"enableTraining", "True"}};
  absl::StatusOr<json> existing = Call("GET", kExtensionPath);
  if (existing.status().code() == absl::StatusCode::kNotFound) {
    absl::Status created = Create(kClusterPath + "/extensions",
                                  {{"name", kExtension},
                                   {"extensionType", kExtensionType},
                                   {"scope", "cluster"},
                                   {"configurationSettings", settings}});
    if (!created.ok()) return created;
  } else if (!existing.ok()) {
    return existing.status();
  } else {
    json current = (*existing)["properties"].value("configurationSettings", json::object());
    if (current.value("enableTraining", "False") != "True") {
      absl::StatusOr<json> updated =
          Call("PATCH", kExtensionPath,
               {{"configurationSettings", settings}, {"version", (*existing)["version"]}});
      if (!updated.ok()) return updated.status();
    }
  }

  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<json> extension = Call("GET", kExtensionPath);
    if (!extension.ok()) return extension.status();
    const json& properties = (*extension)["properties"];
    state = properties.value("installState", "");
    if (state == "Installed") return absl::OkStatus();
    if (state == "Failed") {
      std::string causes;
      for (const json& status : properties.value("statuses", json::array())) {
        if (status.value("state", "") == "Failed") {
          absl::StrAppend(&causes, " ", status.value("component", ""), ": ",
                          status.value("message", ""), ".");
        }
      }
      return absl::FailedPreconditionError(
          absl::StrCat("extension '", kExtension, "' failed to install:", causes));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "extension '", kExtension, "' is still '", state, "' after ", timeout.count(),
      " s: check the agent's log"));
}

absl::Status Bootstrap::EnsureWorkspace() {
  return Create(kGroupPath + "/workspaces", {{"name", kWorkspace}, {"location", kLocation}});
}

absl::Status Bootstrap::EnsureCompute() {
  return Create(kWorkspacePath + "/computes", {{"name", kCompute},
                                               {"clusterResourceGroup", kGroup},
                                               {"clusterName", kCluster},
                                               {"namespace", "default"}});
}

}  // namespace ty::up
