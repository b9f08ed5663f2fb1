#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/connection_string.h"
#include "agent/outbox.h"
#include "common/http/client.h"
#include "common/http/websocket.h"

namespace ty::agent {

// Keeps the agent's one outbound WebSocket to the server open: dials,
// authenticates with the cluster credential, sends `hello`, then streams the
// outbox in order and hands every incoming frame to the handler. After a
// drop it waits with exponential backoff and full jitter and dials again,
// resending everything the server has not acknowledged. Thread-safe.
class RelayClient {
 public:
  struct Options {
    ConnectionString connection;
    http::ClientOptions http;  // TLS CA and proxy settings
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{30000};
    std::chrono::seconds heartbeat_interval{10};
  };

  // Builds the `hello` frame sent first on every connection.
  using HelloBuilder = std::function<std::string()>;
  // Receives every frame but acks, which the client applies to the outbox.
  using FrameHandler = std::function<void(const std::string& frame)>;
  // Builds the `heartbeat` frame.
  using HeartbeatBuilder = std::function<std::string()>;
  // Hears the id of each message that the server acknowledged, after the
  // client removed it from the outbox.
  using AckHandler = std::function<void(const std::string& id)>;

  RelayClient(Options options, Outbox& outbox, HelloBuilder hello, FrameHandler on_frame,
              HeartbeatBuilder heartbeat, AckHandler on_ack = nullptr);
  ~RelayClient();

  // Starts the connection thread.
  void Start();

  // Closes the connection and joins every thread. Unsent messages stay in
  // the outbox for the next start.
  void Stop();

  // Wakes the writer after Outbox::Add.
  void NotifyOutbox();

  // Sends a frame that needs no acknowledgement (acks, heartbeats) if
  // connected; dropped otherwise, which is safe for such frames.
  void SendUnreliable(const std::string& frame);

  bool connected() const { return connected_; }

 private:
  void RunConnectionLoop();
  void ServeConnection(std::shared_ptr<http::WebSocket> socket);
  void RunWriter(std::shared_ptr<http::WebSocket> socket);
  std::chrono::milliseconds NextBackoff(int failures);

  const Options options_;
  Outbox& outbox_;
  HelloBuilder hello_;
  FrameHandler on_frame_;
  HeartbeatBuilder heartbeat_;
  AckHandler on_ack_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<http::WebSocket> socket_;  // guarded by mutex_
  int64_t outbox_generation_ = 0;            // guarded by mutex_; bumped by NotifyOutbox
};

}  // namespace ty::agent
