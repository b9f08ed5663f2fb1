#pragma once

// Private to src/common/http, and the one header here that includes Beast
// and Asio. Only this folder's .cc files include it, and they need Beast
// anyway; the public headers (message.h, server.h, client.h, websocket.h,
// router.h) stay free of it so that their users compile quickly.

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http/client.h"
#include "common/http/server.h"
#include "common/http/socket_closer.h"
#include "common/http/url.h"
#include "common/http/websocket.h"

namespace ty::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Beast 1.74 uses boost::string_view, which does not convert to or from
// std::string_view.
inline beast::string_view ToBeast(std::string_view text) { return {text.data(), text.size()}; }
inline std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }

// The largest WebSocket message either side accepts.
inline constexpr size_t kMaxWebSocketMessageBytes = 64 << 20;

// Runs `ioc` on the calling thread until the asynchronous operation that
// `start` launches completes, and returns its error. `start` receives the
// completion handler. The blocking API is built this way because the
// deadlines of beast::tcp_stream (expires_after) apply to asynchronous
// operations only. Handlers of other operations that complete meanwhile
// also run here.
template <class Start>
beast::error_code RunOp(net::io_context& ioc, Start&& start) {
  beast::error_code result;
  bool done = false;
  start([&result, &done](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  while (!done && ioc.run_one() > 0) {
  }
  return result;
}

// TLS (tls.cc).

// Loads a PEM certificate chain and private key for serving HTTPS.
// kInvalidArgument names the unreadable file.
absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

// Creates a client context that verifies peers against `ca_file`, or the
// system's default store when it is empty.
absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeClientTlsContext(
    const std::string& ca_file);

// Sets SNI (for host names) and the name or IP address that the server's
// certificate must match.
absl::Status PrepareClientTls(TlsStream& stream, const std::string& host);

// Turns a failed TLS handshake into kUnavailable, naming the verification
// failure and its fix when the certificate was rejected.
absl::Status TlsHandshakeError(beast::error_code ec, TlsStream& stream,
                               const std::string& peer);

// Client connections (client_connect.cc).

// A TCP connection to a target, direct or through a proxy.
struct DialedConnection {
  PlainStream stream;
  // True when the stream reaches an HTTP proxy that expects absolute-form
  // request targets ("http://host/path"); false for direct connections and
  // CONNECT tunnels.
  bool absolute_form = false;
  // The Proxy-Authorization value each absolute-form request carries, or
  // empty.
  std::string proxy_authorization;
};

// Connects to `target`, through the proxy that `options` selects: plain
// http goes to the proxy with absolute-form targets, https, ws and wss
// through a CONNECT tunnel. Completes before `deadline`, else kDeadlineExceeded.
absl::StatusOr<DialedConnection> Dial(net::io_context& ioc, const Url& target,
                                      const ClientOptions& options,
                                      std::chrono::steady_clock::time_point deadline);

// Maps a transport error to kDeadlineExceeded (timeout) or kUnavailable,
// prefixed with `what` ("GET 'http://host/x'").
absl::Status TransportError(beast::error_code ec, const std::string& what);

// WebSockets (websocket_impl.cc). Each takes over the io_context the stream
// runs on, the stream after its handshake, the closer that lets a server
// interrupt the socket, and `keep_alive`, which holds objects the stream
// refers to (its TLS context).

std::unique_ptr<WebSocket> MakeWebSocket(std::unique_ptr<net::io_context> ioc,
                                         beast::websocket::stream<PlainStream> stream,
                                         std::shared_ptr<SocketCloser> closer,
                                         std::shared_ptr<void> keep_alive);
std::unique_ptr<WebSocket> MakeWebSocket(std::unique_ptr<net::io_context> ioc,
                                         beast::websocket::stream<TlsStream> stream,
                                         std::shared_ptr<SocketCloser> closer,
                                         std::shared_ptr<void> keep_alive);

// Server connections (server_connection.cc).

// What every connection of one server shares. Outlives all connections.
struct ServerContext {
  ServerOptions options;
  Handler handler;
  WebSocketHandler websocket_handler;
  WebSocketFilter websocket_filter;  // may be empty
  std::shared_ptr<net::ssl::context> tls;  // null for plain HTTP
};

// Serves one accepted connection until the peer closes it, it idles out,
// the closer shuts it down or a WebSocket handler returns. Runs on the
// connection's own thread; `socket` belongs to `ioc`.
void ServeConnection(const ServerContext& context, std::unique_ptr<net::io_context> ioc,
                     tcp::socket socket, std::shared_ptr<SocketCloser> closer);

}  // namespace ty::http
