#pragma once

// Connected clusters: registration with a one-time credential, agent
// authentication and the state the agent reports (connectivity, heartbeat,
// capacity).
//
// Cluster `properties`: kind, connectivityStatus ("Connecting" until the agent
// first connects, then "Connected" or "Offline"), lastHeartbeat (RFC 3339 or
// null), agentVersion, capacity ({"nodes": [{"name", "cpus", "memoryBytes",
// "gpus": [...]}]} or null before the first report). `secret` holds
// credentialSha256 only.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/notifier.h"
#include "store/resources.h"

namespace ty::store {

inline constexpr std::string_view kConnecting = "Connecting";
inline constexpr std::string_view kConnected = "Connected";
inline constexpr std::string_view kOffline = "Offline";

struct NewCluster {
  std::string resource_group;
  std::string name;
  std::string location;  // already validated
  std::string kind;      // "kubernetes" or "local", already validated
};

struct CreatedCluster {
  Resource resource;
  std::string credential;  // 64 hex digits; returned once, stored only as a hash
};

// Registers a cluster with a fresh random credential. Errors as for
// InsertResource: kAlreadyExists, kFailedPrecondition for a missing group.
absl::StatusOr<CreatedCluster> CreateCluster(Transaction& transaction, const NewCluster& cluster);

// Returns the cluster named "<group>/<cluster>" when `credential` matches its
// stored hash (compared in constant time). Errors: kUnauthenticated for an
// unknown cluster or a wrong credential, with one message for both so a
// caller learns nothing about which clusters exist.
absl::StatusOr<Resource> AuthenticateCluster(Database& database, std::string_view cluster_ref,
                                             std::string_view credential);

// Records an agent report for the cluster with id `cluster_id`: connected or
// offline, the heartbeat time (milliseconds since the epoch), the agent's
// version when non-empty and the capacity when given. `job_namespace`, when
// given, is the Kubernetes namespace the agent runs jobs in ("" for a
// backend without namespaces). kNotFound when the cluster is gone.
absl::Status UpdateClusterHeartbeat(Database& database, std::string_view cluster_id,
                                    const std::optional<nlohmann::json>& capacity, bool connected,
                                    int64_t time_millis, std::string_view agent_version = "",
                                    const std::optional<std::string>& job_namespace = std::nullopt);

}  // namespace ty::store
