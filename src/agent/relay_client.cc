#include "agent/relay_client.h"

#include <random>

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace ty::agent {
namespace {

// Maximum outbox messages sent per read of the queue, and the bytes after
// which a read stops. Both bound the writer's memory when a backlog of log
// messages of up to a few MiB each builds up.
constexpr size_t kSendBatch = 256;
constexpr size_t kSendBatchBytes = 8 << 20;

size_t BatchBytes(const std::vector<std::pair<int64_t, std::string>>& batch) {
  size_t bytes = 0;
  for (const auto& [sequence, body] : batch) bytes += body.size();
  return bytes;
}

}  // namespace

RelayClient::RelayClient(Options options, Outbox& outbox, HelloBuilder hello,
                         FrameHandler on_frame, HeartbeatBuilder heartbeat, AckHandler on_ack)
    : options_(std::move(options)),
      outbox_(outbox),
      hello_(std::move(hello)),
      on_frame_(std::move(on_frame)),
      heartbeat_(std::move(heartbeat)),
      on_ack_(std::move(on_ack)) {}

RelayClient::~RelayClient() { Stop(); }

void RelayClient::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { RunConnectionLoop(); });
}

void RelayClient::Stop() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (socket_) socket_->Close();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RelayClient::NotifyOutbox() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++outbox_generation_;
  }
  wake_.notify_all();
}

void RelayClient::SendUnreliable(const std::string& frame) {
  std::shared_ptr<http::WebSocket> socket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket = socket_;
  }
  if (socket) socket->Write(frame).IgnoreError();
}

std::chrono::milliseconds RelayClient::NextBackoff(int failures) {
  // Full jitter: a uniform wait in [0, min(max, initial * 2^failures)], so
  // agents cut off together do not all dial back at the same instant.
  static thread_local std::mt19937_64 random{std::random_device{}()};
  int64_t ceiling = options_.initial_backoff.count() << std::min(failures, 16);
  ceiling = std::min<int64_t>(ceiling, options_.max_backoff.count());
  std::uniform_int_distribution<int64_t> pick(options_.initial_backoff.count() / 2, ceiling);
  return std::chrono::milliseconds(pick(random));
}

void RelayClient::RunConnectionLoop() {
  std::string url = options_.connection.endpoint + "/api/v1/relay";
  http::Headers headers = {{"Authorization", "Bearer " + options_.connection.credential},
                           {"X-Trainyard-Cluster", options_.connection.cluster_id}};
  int failures = 0;
  while (!stopping_) {
    absl::StatusOr<std::unique_ptr<http::WebSocket>> socket =
        http::ConnectWebSocket(url, headers, options_.http);
    if (socket.ok()) {
      failures = 0;
      log::Info("relay: connected to {} as cluster {}", options_.connection.endpoint,
                options_.connection.cluster_id);
      ServeConnection(std::shared_ptr<http::WebSocket>(std::move(*socket)));
      if (stopping_) break;
      log::Warning("relay: connection to {} lost, reconnecting", options_.connection.endpoint);
    } else {
      ++failures;
      log::Warning("relay: cannot connect to {} because {}", options_.connection.endpoint,
                   socket.status().message());
    }
    std::chrono::milliseconds wait = NextBackoff(failures);
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_.load(); });
  }
}

void RelayClient::ServeConnection(std::shared_ptr<http::WebSocket> socket) {
  if (!socket->Write(hello_()).ok()) return;
  // The server sends a frame at least every heartbeat interval, so a
  // silence of three intervals means the connection is dead even if TCP
  // has not noticed yet.
  socket->SetReadTimeout(options_.heartbeat_interval * 3);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    socket_ = socket;
  }
  connected_ = true;
  std::thread writer([this, socket] { RunWriter(socket); });

  while (!stopping_) {
    absl::StatusOr<std::string> frame = socket->Read();
    if (!frame.ok()) {
      if (!stopping_) log::Warning("relay: read failed because {}", frame.status().message());
      break;
    }
    nlohmann::json parsed = nlohmann::json::parse(*frame, nullptr, false);
    if (parsed.is_object() && parsed.value("type", "") == "ack" && parsed.contains("id") &&
        parsed["id"].is_string()) {
      const std::string& id = parsed["id"].get_ref<const std::string&>();
      outbox_.Acknowledge(id);
      if (on_ack_) on_ack_(id);
      continue;
    }
    on_frame_(*frame);
  }

  connected_ = false;
  socket->Close();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (socket_ == socket) socket_.reset();
  }
  wake_.notify_all();
  writer.join();
}

void RelayClient::RunWriter(std::shared_ptr<http::WebSocket> socket) {
  // Everything unacknowledged is resent on each new connection, in order.
  int64_t sent_sequence = 0;
  auto next_heartbeat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
  while (true) {
    int64_t generation;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || socket_ != socket) return;
      generation = outbox_generation_;
    }
    std::vector<std::pair<int64_t, std::string>> batch =
        outbox_.Pending(sent_sequence, kSendBatch, kSendBatchBytes);
    for (const auto& [sequence, body] : batch) {
      if (!socket->Write(body).ok()) return;
      sent_sequence = sequence;
    }
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      if (!socket->Write(heartbeat_()).ok()) return;
      next_heartbeat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
    }
    // A full read may have left messages behind; read again at once.
    if (batch.size() == kSendBatch || BatchBytes(batch) >= kSendBatchBytes) continue;

    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_until(lock, next_heartbeat, [&] {
      return stopping_ || socket_ != socket || outbox_generation_ != generation;
    });
  }
}

}  // namespace ty::agent
