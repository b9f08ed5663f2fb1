#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "common/http/websocket.h"

namespace ty::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port; see Server::port()
  std::string tls_cert_file;  // PEM; both set means HTTPS
  std::string tls_key_file;
  size_t max_body_bytes = 64 << 20;  // larger bodies get 413 before the handler runs
  std::chrono::seconds idle_timeout{60};  // keep-alive connections idle this long are closed
};

// Handles one request; runs on the connection's own thread, so it may block
// (long polls do). Must not throw.
using Handler = std::function<Response(Request&)>;

// Takes over a connection that asked to upgrade to WebSocket. Runs on the
// connection's thread; the connection ends when it returns.
using WebSocketHandler = std::function<void(const Request&, std::unique_ptr<WebSocket>)>;

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

  // The bound port, useful after asking for port 0.
  virtual uint16_t port() const = 0;

  // Stops accepting, closes every open connection and joins their threads.
  virtual void Stop() = 0;
};

}  // namespace ty::http
