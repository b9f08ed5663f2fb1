// Client connections: resolving, proxies (absolute-form and CONNECT
// tunnels) and ConnectWebSocket.

#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "common/http/beast_internal.h"
#include "common/status_macros.h"

namespace ty::http {
namespace {

namespace bhttp = beast::http;
namespace websocket = beast::websocket;

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(data.data()),
                               static_cast<int>(data.size()));
  out.resize(length);
  return out;
}

std::string ChooseProxy(const Url& target, const ClientOptions& options) {
  if (!options.proxy_override.empty()) return options.proxy_override;
  if (!options.use_proxy_env) return "";
  return ProxyFor(target.scheme, target.host);
}

// Resolves and connects to `endpoint`, all before the stream's deadline.
absl::Status ConnectTcp(net::io_context& ioc, PlainStream& stream, const Url& endpoint,
                        std::chrono::steady_clock::time_point deadline) {
  std::string peer = HostPort(endpoint, false);
  tcp::resolver resolver(ioc);
  net::steady_timer timer(ioc);
  timer.expires_at(deadline);
  timer.async_wait([&resolver](beast::error_code ec) {
    if (!ec) resolver.cancel();
  });
  tcp::resolver::results_type results;
  beast::error_code ec = RunOp(ioc, [&](auto handler) {
    resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                           [&results, handler = std::move(handler)](
                               beast::error_code resolve_ec,
                               tcp::resolver::results_type found) mutable {
                             results = std::move(found);
                             handler(resolve_ec);
                           });
  });
  timer.cancel();
  if (ec == net::error::operation_aborted) {
    return absl::DeadlineExceededError(Concat("resolve '", endpoint.host, "' timed out"));
  }
  if (ec) {
    return absl::UnavailableError(
        Concat("resolve '", endpoint.host, "': ", ec.message(), "; check the host name"));
  }

  stream.expires_at(deadline);
  ec = RunOp(ioc, [&](auto handler) {
    stream.async_connect(results, [handler = std::move(handler)](
                                      beast::error_code connect_ec, const tcp::endpoint&) mutable {
      handler(connect_ec);
    });
  });
  if (ec) return TransportError(ec, Concat("connect to '", peer, "'"));
  beast::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  return absl::OkStatus();
}

// Asks the proxy on `stream` for a tunnel to `target` (RFC 9110 9.3.6).
absl::Status OpenTunnel(net::io_context& ioc, PlainStream& stream, const Url& proxy,
                        const Url& target) {
  std::string authority = HostPort(target, false);
  bhttp::request<bhttp::empty_body> request{bhttp::verb::connect, authority, 11};
  request.set(bhttp::field::host, authority);
  if (!proxy.userinfo.empty()) {
    request.set(bhttp::field::proxy_authorization,
                "Basic " + Base64(PercentDecode(proxy.userinfo)));
  }
  std::string what = Concat("CONNECT '", authority, "' through proxy '",
                                  HostPort(proxy, false), "'");
  beast::error_code ec = RunOp(ioc, [&](auto handler) {
    bhttp::async_write(stream, request, std::move(handler));
  });
  if (ec) return TransportError(ec, what);

  // A CONNECT reply has no body, and the tunnel starts right after its
  // header, so the parser must not wait for one.
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);
  ec = RunOp(ioc, [&](auto handler) {
    bhttp::async_read(stream, buffer, parser, std::move(handler));
  });
  if (ec) return TransportError(ec, what);
  unsigned status = parser.get().result_int();
  if (status != 200) {
    return absl::UnavailableError(Concat(
        what, " failed: the proxy answered ", status,
        status == 407 ? "; put the proxy credentials in the proxy URL (http://user:password@host)"
                      : "; check the proxy settings"));
  }
  if (buffer.size() != 0) {
    return absl::UnavailableError(
        Concat(what, " failed: the proxy sent data before the tunnel opened"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TransportError(beast::error_code ec, const std::string& what) {
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(what + " timed out");
  return absl::UnavailableError(Concat(what, " failed: ", ec.message()));
}

absl::StatusOr<DialedConnection> Dial(net::io_context& ioc, const Url& target,
                                      const ClientOptions& options,
                                      std::chrono::steady_clock::time_point deadline) {
  DialedConnection connection{PlainStream(ioc), false, ""};
  std::string proxy_url = ChooseProxy(target, options);
  if (proxy_url.empty()) {
    RETURN_IF_ERROR(ConnectTcp(ioc, connection.stream, target, deadline));
    return connection;
  }

  // "host:port" without a scheme is common in proxy variables.
  if (proxy_url.find("://") == std::string::npos) proxy_url = "http://" + proxy_url;
  absl::StatusOr<Url> proxy = ParseUrl(proxy_url);
  if (!proxy.ok()) {
    return absl::InvalidArgumentError(
        Concat("invalid proxy setting: ", std::string(proxy.status().message())));
  }
  if (proxy->scheme != "http") {
    return absl::InvalidArgumentError(Concat(
        "proxy '", proxy_url, "' uses scheme '", proxy->scheme,
        "', which is not supported; give the proxy as an http:// URL"));
  }
  RETURN_IF_ERROR(ConnectTcp(ioc, connection.stream, *proxy, deadline));
  // Plain http goes to the proxy as absolute-form requests; everything else
  // (https, ws, wss) needs a byte stream to the target, so it is tunnelled.
  if (target.scheme != "http") {
    RETURN_IF_ERROR(OpenTunnel(ioc, connection.stream, *proxy, target));
  } else {
    connection.absolute_form = true;
    if (!proxy->userinfo.empty()) {
      connection.proxy_authorization = "Basic " + Base64(PercentDecode(proxy->userinfo));
    }
  }
  return connection;
}

namespace {

// Completes the WebSocket handshake on a connected stream and hands it to a
// WebSocket, which takes over `ioc`.
template <class Stream>
absl::StatusOr<std::unique_ptr<WebSocket>> Upgrade(std::unique_ptr<net::io_context> ioc,
                                                   Stream stream, const Url& url,
                                                   const Headers& headers,
                                                   std::shared_ptr<void> keep_alive) {
  websocket::stream<Stream> ws(std::move(stream));
  ws.read_message_max(kMaxWebSocketMessageBytes);
  ws.set_option(websocket::stream_base::decorator([&headers](websocket::request_type& request) {
    for (const auto& [name, value] : headers) request.set(name, value);
  }));

  std::string what = Concat("websocket handshake with '", url.scheme, "://",
                                  HostPort(url, false), url.target, "'");
  websocket::response_type response;
  beast::error_code ec = RunOp(*ioc, [&](auto handler) {
    ws.async_handshake(response, HostPort(url, true), url.target, std::move(handler));
  });
  if (ec == websocket::error::upgrade_declined) {
    unsigned status = response.result_int();
    std::string message = Concat(what, " failed: the server answered ", status);
    if (!response.body().empty()) message += Concat(": ", response.body());
    if (status == 401) return absl::UnauthenticatedError(message);
    if (status == 403) return absl::PermissionDeniedError(message);
    return absl::InternalError(message);
  }
  if (ec) return TransportError(ec, what);

  // The handshake ran under the request deadline; from here on the
  // WebSocket's own timeouts apply and reads may wait indefinitely.
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  auto closer = std::make_shared<SocketCloser>(beast::get_lowest_layer(ws).socket().native_handle());
  return MakeWebSocket(std::move(ioc), std::move(ws), std::move(closer), std::move(keep_alive));
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebSocket>> ConnectWebSocket(std::string_view url,
                                                            const Headers& headers,
                                                            const ClientOptions& options) {
  ASSIGN_OR_RETURN(Url parsed, ParseUrl(url));
  // http and https name the same endpoints as ws and wss.
  if (parsed.scheme == "http") parsed.scheme = "ws";
  if (parsed.scheme == "https") parsed.scheme = "wss";
  auto deadline = std::chrono::steady_clock::now() + options.timeout;

  auto ioc = std::make_unique<net::io_context>(1);
  ASSIGN_OR_RETURN(DialedConnection dialed, Dial(*ioc, parsed, options, deadline));
  if (!parsed.secure()) {
    return Upgrade(std::move(ioc), std::move(dialed.stream), parsed, headers, nullptr);
  }

  ASSIGN_OR_RETURN(std::shared_ptr<net::ssl::context> context,
                   MakeClientTlsContext(options.ca_file));
  TlsStream tls(std::move(dialed.stream), *context);
  RETURN_IF_ERROR(PrepareClientTls(tls, parsed.host));
  beast::error_code ec = RunOp(*ioc, [&](auto handler) {
    tls.async_handshake(net::ssl::stream_base::client, std::move(handler));
  });
  if (ec) return TlsHandshakeError(ec, tls, HostPort(parsed, false));
  return Upgrade(std::move(ioc), std::move(tls), parsed, headers, std::move(context));
}

}  // namespace ty::http
