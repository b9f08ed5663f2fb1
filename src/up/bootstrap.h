#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/client.h"

namespace ty::up {

// Names `trainyard up` gives what it registers. Running it again finds them
// and reuses them.
inline constexpr char kGroup[] = "default";
inline constexpr char kLocation[] = "local";
inline constexpr char kCluster[] = "local";
inline constexpr char kExtension[] = "trainyard";
inline constexpr char kExtensionType[] = "Trainyard.MachineLearning";
inline constexpr char kWorkspace[] = "default";
inline constexpr char kCompute[] = "local";

// Calls the REST API with the admin token. Not thread-safe.
class Bootstrap {
 public:
  Bootstrap(std::unique_ptr<http::Client> client, std::string token);

  // Polls GET /api/v1/health until it answers 200 or `timeout` passes.
  absl::Status WaitForHealth(std::chrono::seconds timeout);

  // Creates the default group, or finds it.
  absl::Status EnsureGroup();

  // Registers the local cluster and returns its connection string, or
  // returns "" when the cluster already exists (its credential is shown
  // only at creation, so the caller must have kept it).
  absl::StatusOr<std::string> EnsureCluster();

  // Returns the cluster's lastHeartbeat ("" before its agent ever connected).
  absl::StatusOr<std::string> ClusterHeartbeat();

  // Waits until the agent's hello moves the cluster's lastHeartbeat away
  // from `before` with the cluster Connected. kDeadlineExceeded after
  // `timeout`, pointing at `agent_log`.
  absl::Status WaitForAgent(const std::string& before, std::chrono::seconds timeout,
                            const std::string& agent_log);

  // Creates the extension with enableTraining=True, or updates an existing
  // one to enable training, then waits until the agent reports Installed.
  // kFailedPrecondition with the component's message when it fails.
  absl::Status EnsureExtensionInstalled(std::chrono::seconds timeout);

  absl::Status EnsureWorkspace();
  absl::Status EnsureCompute();

 private:
  // Sends a request; returns the parsed body for 2xx, the server's message
  // (with its code as the status code) otherwise.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& path,
                                      const nlohmann::json& body = nullptr);
  // Like Call for a create, treating 409 AlreadyExists as success.
  absl::Status Create(const std::string& path, const nlohmann::json& body);

  std::unique_ptr<http::Client> client_;
  std::string token_;
};

}  // namespace ty::up
