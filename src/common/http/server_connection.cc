// One server connection: TLS handshake, the keep-alive request loop, body
// limits, malformed requests and the hand-off to WebSocket handlers.

#include <exception>
#include <limits>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "common/http/beast_internal.h"
#include "common/log.h"

namespace ty::http {
namespace {

namespace bhttp = beast::http;
namespace websocket = beast::websocket;

constexpr std::chrono::seconds kHandshakeTimeout{30};
constexpr size_t kMaxHeaderBytes = 64 * 1024;
// Maximum bytes read per recv; Beast's HTTP read never requests more.
constexpr size_t kReadBufferBytes = 64 * 1024;

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return Concat(address, ":", endpoint.port());
}

// True for errors that mean the bytes were not valid HTTP, as opposed to the
// peer closing, a timeout or a reset.
bool IsMalformed(beast::error_code ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_more && ec != bhttp::error::body_limit;
}

Request MakeRequest(bhttp::request<bhttp::string_body>& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  SplitTarget(request.target, &request.path, &request.query);
  for (const auto& field : message) {
    std::string name = ToLower(ToStd(field.name_string()));
    auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
    // Repeated fields combine into one comma-separated value (RFC 9110 5.3).
    if (!inserted) it->second += Concat(", ", ToStd(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  return request;
}

class Connection {
 public:
  Connection(const ServerContext& context, net::io_context& ioc, std::string remote)
      : context_(context), ioc_(ioc), remote_(std::move(remote)) {
    // Beast sizes each read by the buffer's free capacity, at least 512
    // bytes. The parser consumes what it reads, so an unreserved buffer never
    // grows and a body arrives 512 bytes per recv.
    buffer_.reserve(kReadBufferBytes);
  }

  // Serves requests on `stream` until the connection ends. Returns the
  // upgrade request instead when the client asks for a WebSocket.
  template <class Stream>
  std::optional<bhttp::request<bhttp::string_body>> ServeHttp(Stream& stream);

  const std::string& remote() const { return remote_; }

 private:
  template <class Stream>
  bool Write(Stream& stream, const Response& response, unsigned version, bool keep_alive,
             bool head = false);
  template <class Stream>
  void WriteStreamed(Stream& stream, const Response& response, unsigned version);

  const ServerContext& context_;
  net::io_context& ioc_;
  std::string remote_;
  beast::flat_buffer buffer_;
};

template <class Stream>
bool Connection::Write(Stream& stream, const Response& response, unsigned version,
                       bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status),
                                              version};
  message.set(bhttp::field::content_type, ToBeast(response.content_type));
  for (const auto& [name, value] : response.headers) message.insert(ToBeast(name), ToBeast(value));
  message.body() = response.body;
  message.keep_alive(keep_alive && message.keep_alive());
  message.prepare_payload();
  // A response to HEAD has the headers of the GET response, Content-Length
  // included, and no body.
  if (head) message.body().clear();

  beast::get_lowest_layer(stream).expires_after(context_.options.io_timeout);
  beast::error_code ec = RunOp(ioc_, [&](auto handler) {
    bhttp::async_write(stream, message, std::move(handler));
  });
  if (ec) {
    ty::log::Debug("write response to {} failed because {}", remote_, ec.message());
    return false;
  }
  return message.keep_alive();
}

// Sends the header with chunked transfer encoding, lets the response's
// stream function write the body chunk by chunk and ends with the last
// chunk. Each chunk is bounded by the I/O timeout, so a peer that stops
// reading ends the stream.
template <class Stream>
void Connection::WriteStreamed(Stream& stream, const Response& response, unsigned version) {
  bhttp::response<bhttp::empty_body> message{static_cast<bhttp::status>(response.status),
                                             version};
  message.set(bhttp::field::content_type, ToBeast(response.content_type));
  for (const auto& [name, value] : response.headers) message.insert(ToBeast(name), ToBeast(value));
  message.chunked(true);
  message.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> serializer{message};

  beast::get_lowest_layer(stream).expires_after(context_.options.io_timeout);
  beast::error_code ec = RunOp(ioc_, [&](auto handler) {
    bhttp::async_write_header(stream, serializer, std::move(handler));
  });
  if (ec) {
    ty::log::Debug("write streamed header to {} failed because {}", remote_, ec.message());
    return;
  }
  bool open = true;
  ChunkWriter write = [&](std::string_view data) {
    if (!open) return false;
    if (data.empty()) return true;  // an empty chunk would end the body
    beast::get_lowest_layer(stream).expires_after(context_.options.io_timeout);
    ec = RunOp(ioc_, [&](auto handler) {
      net::async_write(stream, bhttp::make_chunk(net::const_buffer(data.data(), data.size())),
                       std::move(handler));
    });
    open = !ec;
    return open;
  };
  try {
    response.stream(write);
  } catch (const std::exception& e) {
    ty::log::Error("stream of a response to {} threw: {}", remote_, e.what());
  }
  if (!open) return;
  beast::get_lowest_layer(stream).expires_after(context_.options.io_timeout);
  RunOp(ioc_, [&](auto handler) {
    net::async_write(stream, bhttp::make_chunk_last(), std::move(handler));
  });
}

template <class Stream>
std::optional<bhttp::request<bhttp::string_body>> Connection::ServeHttp(Stream& stream) {
  const ServerOptions& options = context_.options;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // The body limit is checked by hand once the header is in, so that the
    // 413 can name the declared length. NOTE: Beast 1.74 treats an empty
    // limit (boost::none) as smaller than any length, so "no limit" has to
    // be the largest value.
    parser.body_limit(std::numeric_limits<uint64_t>::max());

    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    beast::error_code ec = RunOp(ioc_, [&](auto handler) {
      bhttp::async_read_header(stream, buffer_, parser, std::move(handler));
    });
    if (ec) {
      if (IsMalformed(ec)) {
        Write(stream, ErrorResponse(400, "InvalidArgument",
                                    Concat("malformed HTTP request: ", ec.message())),
              11, false);
      }
      return std::nullopt;
    }
    unsigned version = parser.get().version();

    if (websocket::is_upgrade(parser.get())) {
      if (context_.websocket_handler && context_.websocket_filter) {
        bhttp::request<bhttp::string_body> upgrade = parser.release();
        std::optional<Response> rejection =
            context_.websocket_filter(MakeRequest(upgrade, remote_));
        if (!rejection) return upgrade;
        Write(stream, *rejection, version, false);
        return std::nullopt;
      }
      if (context_.websocket_handler) return parser.release();
      Write(stream,
            ErrorResponse(404, "NotFound",
                          Concat("path '", std::string(parser.get().target()),
                                       "' does not accept WebSocket connections")),
            version, false);
      return std::nullopt;
    }

    boost::optional<uint64_t> length = parser.content_length();
    if (length && *length > options.max_body_bytes) {
      // The body stays unread, so the connection cannot carry another request.
      Write(stream,
            ErrorResponse(413, "ResourceExhausted",
                          Concat("request body of ", *length,
                                       " bytes exceeds the limit of ", options.max_body_bytes,
                                       " bytes")),
            version, false);
      return std::nullopt;
    }

    if (parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, version};
      beast::get_lowest_layer(stream).expires_after(options.io_timeout);
      ec = RunOp(ioc_, [&](auto handler) {
        bhttp::async_write(stream, proceed, std::move(handler));
      });
      if (ec) return std::nullopt;
    }

    if (!parser.is_done()) {
      parser.body_limit(options.max_body_bytes);  // enforces chunked bodies
      beast::get_lowest_layer(stream).expires_after(options.io_timeout);
      ec = RunOp(ioc_, [&](auto handler) {
        bhttp::async_read(stream, buffer_, parser, std::move(handler));
      });
      if (ec == bhttp::error::body_limit) {
        Write(stream,
              ErrorResponse(413, "ResourceExhausted",
                            Concat("request body exceeds the limit of ",
                                         options.max_body_bytes, " bytes")),
              version, false);
        return std::nullopt;
      }
      if (ec) {
        if (IsMalformed(ec)) {
          Write(stream, ErrorResponse(400, "InvalidArgument",
                                      Concat("malformed HTTP request: ", ec.message())),
                version, false);
        } else {
          ty::log::Debug("read request body from {} failed because {}", remote_, ec.message());
        }
        return std::nullopt;
      }
    }

    bhttp::request<bhttp::string_body> message = parser.release();
    bool keep_alive = message.keep_alive();
    Request request = MakeRequest(message, remote_);
    Response response;
    try {
      response = context_.handler(request);
    } catch (const std::exception& e) {
      // Handlers must not throw; a 500 keeps one bug from ending the process.
      ty::log::Error("handler for {} {} threw: {}", request.method, request.path, e.what());
      response = ErrorResponse(500, "Internal", "internal error while handling the request");
    }
    bool head = request.method == "HEAD";
    if (response.stream && !head) {
      WriteStreamed(stream, response, version);
      return std::nullopt;
    }
    if (!Write(stream, response, version, keep_alive, head)) return std::nullopt;
  }
}

// Completes the WebSocket handshake on `stream` and runs the handler.
template <class Stream>
void ServeWebSocket(const ServerContext& context, std::unique_ptr<net::io_context> ioc,
                    Stream& stream, bhttp::request<bhttp::string_body> upgrade,
                    const std::string& remote, std::shared_ptr<SocketCloser> closer) {
  websocket::stream<Stream> ws(std::move(stream));
  ws.read_message_max(kMaxWebSocketMessageBytes);
  beast::get_lowest_layer(ws).expires_after(kHandshakeTimeout);
  beast::error_code ec = RunOp(*ioc, [&](auto handler) {
    ws.async_accept(upgrade, std::move(handler));
  });
  if (ec) {
    ty::log::Debug("websocket handshake with {} failed because {}", remote, ec.message());
    return;
  }
  // From here on the WebSocket's own timeouts apply: pings keep an idle
  // connection alive and a peer that stops answering is dropped.
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));

  Request request = MakeRequest(upgrade, remote);
  std::unique_ptr<WebSocket> socket =
      MakeWebSocket(std::move(ioc), std::move(ws), closer, context.tls);
  try {
    context.websocket_handler(request, std::move(socket));
  } catch (const std::exception& e) {
    ty::log::Error("websocket handler for {} threw: {}", request.path, e.what());
  }
}

}  // namespace

void ServeConnection(const ServerContext& context, std::unique_ptr<net::io_context> ioc,
                     tcp::socket socket, std::shared_ptr<SocketCloser> closer) {
  beast::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  Connection connection(context, *ioc, ec ? "unknown" : FormatEndpoint(peer));
  PlainStream plain(std::move(socket));

  if (context.tls == nullptr) {
    auto upgrade = connection.ServeHttp(plain);
    if (upgrade) {
      ServeWebSocket(context, std::move(ioc), plain, *std::move(upgrade), connection.remote(),
                     closer);
    }
    // A WebSocket released its own reference before closing; releasing here
    // covers every other path before `plain` closes the socket.
    closer->Release();
    return;
  }

  TlsStream tls(std::move(plain), *context.tls);
  beast::get_lowest_layer(tls).expires_after(kHandshakeTimeout);
  ec = RunOp(*ioc, [&](auto handler) {
    tls.async_handshake(net::ssl::stream_base::server, std::move(handler));
  });
  if (ec) {
    ty::log::Debug("TLS handshake with {} failed because {}", connection.remote(), ec.message());
    closer->Release();
    return;
  }
  auto upgrade = connection.ServeHttp(tls);
  if (upgrade) {
    ServeWebSocket(context, std::move(ioc), tls, *std::move(upgrade), connection.remote(),
                   closer);
  }
  closer->Release();
}

}  // namespace ty::http
