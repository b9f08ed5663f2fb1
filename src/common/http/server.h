#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/http/limits.h"
#include "common/http/message.h"
#include "common/http/websocket.h"

namespace ty::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port; see Server::port()
  std::string tls_cert_file;  // PEM; both set means HTTPS
  std::string tls_key_file;
  size_t max_body_bytes = kMaxRequestBodyBytes;  // larger bodies get 413 before the handler runs
  std::chrono::seconds idle_timeout{60};  // keep-alive connections idle this long are closed
  // Bounds reading one request's body and writing one response; a slower
  // peer is disconnected.
  std::chrono::seconds io_timeout{300};
};

// Handles one request; runs on the connection's own thread, so it may block
// (long polls do). Must not throw.
using Handler = std::function<Response(Request&)>;

// Takes over a connection that asked to upgrade to WebSocket. Runs on the
// connection's thread; the connection ends when it returns, unless the
// handler moved the WebSocket elsewhere: then its new owner closes it, and
// Server::Stop() no longer does.
using WebSocketHandler = std::function<void(const Request&, std::unique_ptr<WebSocket>)>;

// Screens an upgrade request before the WebSocket handshake. Returns
// std::nullopt to accept it, or the response to send instead (401, 403).
using WebSocketFilter = std::function<std::optional<Response>(const Request&)>;

// An HTTP/1.1 server (optionally HTTPS) with one thread per connection.
// Connections are few (agents and users), and blocking handlers keep the
// request code plain. Thread-safe.
class Server {
 public:
  virtual ~Server() = default;

  // Binds, listens and starts accepting. kInvalidArgument for a bad host or
  // unreadable TLS files, kUnavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       Handler handler,
                                                       WebSocketHandler websocket_handler);
  // As above; `websocket_filter` may reject upgrades before the handshake.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       Handler handler,
                                                       WebSocketHandler websocket_handler,
                                                       WebSocketFilter websocket_filter);

  // The bound port, useful after asking for port 0.
  virtual uint16_t port() const = 0;

  // Stops accepting, closes every open connection and joins their threads.
  // Connections waiting for a request and WebSocket reads end at once. A
  // handler that is still running is not interrupted: Stop waits for it to
  // return (long polls should be woken by their owner first), and writing
  // its response then fails. Safe to call twice; the destructor calls it.
  virtual void Stop() = 0;
};

}  // namespace ty::http
