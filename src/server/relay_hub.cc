#include "server/relay_hub.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "api/extension.h"
#include "api/extension_settings.h"
#include "common/log.h"
#include "common/random.h"
#include "common/time.h"
#include "store/clusters.h"
#include "store/extensions.h"

namespace ty::server {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string BearerToken(const http::Request& request) {
  std::string header = request.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.rfind(kPrefix, 0) != 0) return "";
  return header.substr(kPrefix.size());
}

}  // namespace

RelayHub::RelayHub(store::Database& database, store::Notifier& notifier, RelayOptions options)
    : database_(database), notifier_(notifier), options_(std::move(options)) {}

RelayHub::~RelayHub() { Stop(); }

std::optional<http::Response> RelayHub::Screen(const http::Request& request) {
  absl::StatusOr<store::Resource> cluster = store::AuthenticateCluster(
      database_, request.Header("x-trainyard-cluster"), BearerToken(request));
  if (cluster.ok()) return std::nullopt;
  log::Warning("relay: rejected a connection from {} for cluster '{}' because {}",
               request.remote_address, request.Header("x-trainyard-cluster"),
               cluster.status().message());
  return http::ErrorResponse(401, "Unauthenticated", std::string(cluster.status().message()));
}

void RelayHub::Serve(const http::Request& request, std::unique_ptr<http::WebSocket> socket) {
  absl::StatusOr<store::Resource> cluster = store::AuthenticateCluster(
      database_, request.Header("x-trainyard-cluster"), BearerToken(request));
  if (!cluster.ok()) {
    socket->Close();
    return;
  }
  auto session = std::make_shared<Session>();
  session->cluster_id = cluster->id;
  session->cluster_ref = request.Header("x-trainyard-cluster");
  session->socket = std::shared_ptr<http::WebSocket>(std::move(socket));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    auto [it, inserted] = sessions_.try_emplace(session->cluster_id, session);
    if (!inserted) {
      // The newer connection wins: an agent that reconnects after a network
      // split may find its old connection not yet timed out.
      it->second->open = false;
      it->second->socket->Close();
      it->second = session;
    }
  }
  log::Info("relay: cluster {} connected from {}", session->cluster_ref, request.remote_address);

  // A silent agent is offline: heartbeats come every `heartbeat_seconds`.
  session->socket->SetReadTimeout(std::chrono::seconds(options_.offline_after_seconds));
  std::thread pusher([this, session] { PushLoop(session); });
  while (session->open && !stopping_) {
    absl::StatusOr<std::string> text = session->socket->Read();
    if (!text.ok()) {
      if (text.status().code() == absl::StatusCode::kDeadlineExceeded) {
        log::Warning("relay: cluster {} sent nothing for {} s, closing its connection",
                     session->cluster_ref, options_.offline_after_seconds);
      }
      break;
    }
    if (api::IsLogMessage(*text)) {
      HandleLogFrame(*session, *text);
      continue;
    }
    json frame = json::parse(*text, nullptr, false);
    if (!frame.is_object() || !frame.contains("type") || !frame["type"].is_string()) {
      log::Warning("relay: cluster {} sent a malformed frame of {} bytes; ignored",
                   session->cluster_ref, text->size());
      continue;
    }
    HandleFrame(*session, frame);
  }

  session->open = false;
  session->socket->Close();
  notifier_.Notify(store::ClusterTopic(session->cluster_id));
  pusher.join();
  bool current = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(session->cluster_id);
    if (it != sessions_.end() && it->second == session) {
      sessions_.erase(it);
      current = true;
    }
  }
  if (current) {
    absl::Status offline = store::UpdateClusterHeartbeat(database_, session->cluster_id,
                                                         std::nullopt, false, NowMillis());
    if (!offline.ok()) {
      log::Warning("relay: marking cluster {} offline failed because {}", session->cluster_ref,
                   offline.message());
    }
    notifier_.Notify(store::kQueuedJobsTopic);
  }
  log::Info("relay: cluster {} disconnected", session->cluster_ref);
}

bool RelayHub::Send(const std::string& cluster_id, const std::string& frame) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(cluster_id);
    if (it == sessions_.end()) return false;
    session = it->second;
  }
  return session->open && session->socket->Write(frame).ok();
}

bool RelayHub::IsConnected(const std::string& cluster_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.count(cluster_id) > 0;
}

std::vector<std::string> RelayHub::ConnectedClusters() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, session] : sessions_) ids.push_back(id);
  return ids;
}

void RelayHub::Stop() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, session] : sessions_) {
    session->open = false;
    session->socket->Close();
  }
}

void RelayHub::PushLoop(std::shared_ptr<Session> session) {
  // Extensions are pushed on connect and again whenever the cluster's topic
  // moves (an extension was created, updated or deleted).
  std::string topic = store::ClusterTopic(session->cluster_id);
  uint64_t seen = notifier_.Version(topic);
  SendExtensions(session->cluster_id);
  while (session->open && !stopping_) {
    uint64_t now = notifier_.WaitFor(topic, seen, std::chrono::seconds(options_.heartbeat_seconds));
    if (!session->open || stopping_ || notifier_.shut_down()) break;
    if (now != seen) {
      seen = now;
      SendExtensions(session->cluster_id);
    }
  }
}

void RelayHub::HandleFrame(Session& session, const json& frame) {
  const std::string type = frame["type"].get<std::string>();
  if (type == "hello") {
    HandleHello(session, frame);
    return;
  }
  if (type == "heartbeat") {
    absl::Status status = store::UpdateClusterHeartbeat(database_, session.cluster_id,
                                                        std::nullopt, true, NowMillis());
    if (!status.ok()) {
      log::Warning("relay: heartbeat of cluster {} not stored because {}", session.cluster_ref,
                   status.message());
    }
    session.socket->Write(R"({"type":"pong"})").IgnoreError();
    return;
  }
  if (type == "ack") {
    ApplyAck(session, frame);
    return;
  }

  absl::Status applied;
  if (type == "extensionStatus") {
    applied = ApplyExtensionStatus(session, frame);
  } else if (type == "jobStatus") {
    applied = ApplyJobStatus(session, frame);
  } else if (type == "artifact") {
    applied = ApplyArtifact(session, frame);
  } else {
    log::Warning("relay: cluster {} sent a frame of unknown type '{}'; ignored",
                 session.cluster_ref, type);
    return;
  }
  std::string id = frame.contains("id") && frame["id"].is_string() ? frame["id"].get<std::string>()
                                                                   : std::string();
  FinishMessage(session, type, id, applied);
}

void RelayHub::FinishMessage(Session& session, const std::string& type, const std::string& id,
                             const absl::Status& applied) {
  // A message that cannot be applied because it is malformed is acked
  // anyway: resending it would fail the same way forever. Store failures
  // (kUnavailable, kInternal) are not acked, so the agent sends it again.
  bool retryable = applied.code() == absl::StatusCode::kUnavailable ||
                   applied.code() == absl::StatusCode::kInternal;
  if (!applied.ok()) {
    log::Warning("relay: {} from cluster {} not applied because {}", type, session.cluster_ref,
                 applied.message());
  }
  if (!retryable && !id.empty()) {
    session.socket->Write(Dump({{"type", "ack"}, {"id", id}})).IgnoreError();
  }
}

absl::Status RelayHub::ApplyExtensionStatus(Session& session, const json& frame) {
  const std::string name = frame.value("extension", "");
  if (name.empty()) return absl::InvalidArgumentError("extensionStatus without 'extension'");
  if (frame.value("removed", false)) {
    absl::Status finished = store::FinishExtensionDeletion(database_, session.cluster_id, name);
    notifier_.Notify(store::ClusterTopic(session.cluster_id));
    return finished;
  }
  absl::StatusOr<api::InstallState> state =
      api::ParseInstallState("installState", frame.value("installState", ""));
  if (!state.ok()) return state.status();
  return store::UpdateExtensionStatus(database_, session.cluster_id, name, *state,
                                      frame.value("statuses", json::array()));
}

void RelayHub::SendExtensions(const std::string& cluster_id) {
  absl::StatusOr<store::Transaction> transaction = database_.BeginRead();
  if (!transaction.ok()) return;
  absl::StatusOr<std::vector<store::Resource>> extensions =
      store::ListAllResources(*transaction, store::kExtensions, cluster_id);
  transaction->Commit().IgnoreError();
  if (!extensions.ok()) {
    log::Warning("relay: listing extensions of {} failed because {}", cluster_id,
                 extensions.status().message());
    return;
  }
  json items = json::array();
  for (const store::Resource& extension : *extensions) {
    absl::StatusOr<api::ExtensionSettings> stored = store::StoredSettings(extension);
    if (!stored.ok()) {
      log::Error("relay: stored settings of {} are unreadable because {}", extension.id,
                 stored.status().message());
      continue;
    }
    // The agent gets the secrets too: it is the party that uses them.
    json settings = api::PublicSettingsToJson(*stored);
    if (stored->relay_connection_string) {
      settings["relayConnectionString"] = *stored->relay_connection_string;
    }
    if (stored->service_bus_connection_string) {
      settings["serviceBusConnectionString"] = *stored->service_bus_connection_string;
    }
    items.push_back({{"name", extension.name},
                     {"extensionType", extension.properties.value("extensionType", "")},
                     {"settings", settings},
                     {"deleting", extension.properties.value("installState", "") == "Deleting"}});
  }
  // The extensions frame is the full desired state and is resent on every
  // change and reconnect, so it needs no acknowledgement bookkeeping here.
  Send(cluster_id, Dump({{"type", "extensions"}, {"id", "extensions-" + NewId()}, {"items", items}}));
}

}  // namespace ty::server
