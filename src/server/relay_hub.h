#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/log_message.h"
#include "common/http/message.h"
#include "common/http/websocket.h"
#include "store/database.h"
#include "store/notifier.h"
#include "store/resources.h"

namespace ty::server {

// Timing of the relay, in seconds. The agent heartbeats every
// `heartbeat_seconds`; a cluster with no frame for `offline_after_seconds`
// is marked Offline and its connection closed.
struct RelayOptions {
  int heartbeat_seconds = 10;
  int offline_after_seconds = 30;
  std::string public_url;  // how jobs reach the server, for tracking variables
};

// The server end of every agent's relay connection (docs/relay.md): one
// session per cluster, a newer connection replacing an older one. It applies
// what agents report to the store and pushes desired state to them: the
// extensions of the cluster, job assignments from the scheduler, cancels.
// Thread-safe.
class RelayHub {
 public:
  RelayHub(store::Database& database, store::Notifier& notifier, RelayOptions options);
  ~RelayHub();

  // Rejects an upgrade without a valid cluster credential with 401 before
  // the handshake; for http::Server's WebSocketFilter.
  std::optional<http::Response> Screen(const http::Request& request);

  // Serves one agent connection until it drops; the WebSocketHandler.
  void Serve(const http::Request& request, std::unique_ptr<http::WebSocket> socket);

  // Sends a frame to the cluster's live connection. False when the cluster
  // is not connected or the write failed.
  bool Send(const std::string& cluster_id, const std::string& frame);

  bool IsConnected(const std::string& cluster_id);

  // The ids of the clusters connected now.
  std::vector<std::string> ConnectedClusters();

  // Closes every connection; Serve calls then return.
  void Stop();

 private:
  // One agent connection. The socket is shared with the push thread.
  struct Session {
    std::string cluster_id;   // resource id, "/resourceGroups/g/connectedClusters/c"
    std::string cluster_ref;  // "g/c", as the agent names itself
    std::shared_ptr<http::WebSocket> socket;
    std::atomic<bool> open{true};
  };

  void HandleFrame(Session& session, const nlohmann::json& frame);
  void HandleHello(Session& session, const nlohmann::json& frame);
  void ApplyAck(Session& session, const nlohmann::json& frame);
  absl::Status ApplyExtensionStatus(Session& session, const nlohmann::json& frame);
  absl::Status ApplyJobStatus(Session& session, const nlohmann::json& frame);
  // Log frames skip the JSON tree (api/log_message.h): they carry nearly
  // all of the relay's bytes.
  void HandleLogFrame(Session& session, std::string_view text);
  absl::Status ApplyLog(Session& session, api::LogMessage message);
  // Acknowledges message `id` of `type` unless applying it failed in a way
  // that a resend may fix.
  void FinishMessage(Session& session, const std::string& type, const std::string& id,
                     const absl::Status& applied);
  absl::Status ApplyArtifact(Session& session, const nlohmann::json& frame);
  void SendExtensions(const std::string& cluster_id);
  void ReconcileInventory(Session& session, const nlohmann::json& jobs);
  void PushLoop(std::shared_ptr<Session> session);

  store::Database& database_;
  store::Notifier& notifier_;
  const RelayOptions options_;

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;  // guarded by mutex_, by cluster id
  std::atomic<bool> stopping_{false};
};

}  // namespace ty::server
