#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "common/http/websocket.h"

namespace ty::http {

struct ClientOptions {
  std::string ca_file;           // PEM bundle that verifies https servers; empty: system store
  bool use_proxy_env = true;     // honour HTTPS_PROXY/HTTP_PROXY/NO_PROXY; loopback never proxied
  std::chrono::milliseconds timeout{30000};  // per request, connect included
  // A proxy URL ("http://[user:password@]host:port") used for every target,
  // loopback included, in place of the environment. Tests use it to reach a
  // local proxy, which the environment rules never select.
  std::string proxy_override;
  size_t max_response_bytes = size_t{1} << 30;  // larger bodies fail with kResourceExhausted
};

// A blocking HTTP/1.1 client for one base URL ("http://127.0.0.1:8080" or
// "https://host:port"). It keeps one connection alive between requests and
// reconnects once when the server closed it. Not thread-safe: use one per
// thread.
class Client {
 public:
  virtual ~Client() = default;

  // kInvalidArgument for a malformed URL.
  static absl::StatusOr<std::unique_ptr<Client>> Create(std::string_view base_url,
                                                        const ClientOptions& options = {});

  // Sends one request; `target` is the path and query ("/api/v1/x?y=1").
  // Any HTTP status is a successful result; errors are transport failures:
  // kUnavailable (connect, reset, proxy, TLS verification),
  // kDeadlineExceeded (timeout), kResourceExhausted (response body over
  // ClientOptions::max_response_bytes).
  virtual absl::StatusOr<Response> Send(std::string_view method, std::string_view target,
                                        std::string_view body = {},
                                        std::string_view content_type = "application/json",
                                        const Headers& headers = {}) = 0;
};

// Opens a WebSocket to `url` ("ws://", "wss://", "http://" or "https://"
// followed by host, port and path), sending `headers` with the upgrade.
// kUnavailable when the server cannot be reached, kPermissionDenied or
// kUnauthenticated when it answers 403 or 401, kInternal for another status.
absl::StatusOr<std::unique_ptr<WebSocket>> ConnectWebSocket(std::string_view url,
                                                            const Headers& headers,
                                                            const ClientOptions& options = {});

// Returns the proxy URL to use for `host` from HTTPS_PROXY/HTTP_PROXY and
// NO_PROXY (either case), or "" for a direct connection. Loopback hosts
// (localhost, 127.0.0.0/8, ::1) are always direct.
std::string ProxyFor(std::string_view scheme, std::string_view host);

}  // namespace ty::http
