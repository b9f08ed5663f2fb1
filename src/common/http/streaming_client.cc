// StreamingClient: requests with PEM-configured TLS and client
// certificates, and response bodies read as they arrive.

#include "common/http/streaming_client.h"

#include <atomic>
#include <limits>
#include <optional>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/http/beast_internal.h"
#include "common/status_macros.h"

namespace ty::http {
namespace {

namespace bhttp = beast::http;

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunkBytes = 16 * 1024;

bool IsConnectionLoss(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

net::ssl::context::options TlsProtocolOptions() {
  return net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
         net::ssl::context::no_tlsv1_1;
}

// Builds the client context: the CA from `tls.ca_pem` when set, else from
// ClientOptions::ca_file or the system store, plus the client certificate.
absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeContext(const ClientOptions& options,
                                                               const TlsSettings& tls) {
  std::shared_ptr<net::ssl::context> context;
  beast::error_code ec;
  if (tls.insecure_skip_verify) {
    context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    context->set_options(TlsProtocolOptions());
    context->set_verify_mode(net::ssl::verify_none);
  } else if (!tls.ca_pem.empty()) {
    context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    context->set_options(TlsProtocolOptions());
    context->set_verify_mode(net::ssl::verify_peer);
    context->add_certificate_authority(net::buffer(tls.ca_pem), ec);
    if (ec) {
      return absl::InvalidArgumentError(Concat(
          "invalid CA certificate: ", ec.message(), "; give the CA as PEM text"));
    }
  } else {
    ASSIGN_OR_RETURN(context, MakeClientTlsContext(options.ca_file));
  }

  if (tls.client_cert_pem.empty() != tls.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its private key and the other way round; give both");
  }
  if (!tls.client_cert_pem.empty()) {
    context->use_certificate_chain(net::buffer(tls.client_cert_pem), ec);
    if (ec) {
      return absl::InvalidArgumentError(Concat(
          "invalid client certificate: ", ec.message(), "; give the certificate as PEM text"));
    }
    context->use_private_key(net::buffer(tls.client_key_pem), net::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          Concat("invalid client key: ", ec.message(),
                 "; give the PEM private key that matches the client certificate"));
    }
  }
  return context;
}

// One connection with its own io_context. `ioc` is declared first so that
// it outlives the streams that run on it.
struct Connection {
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::shared_ptr<net::ssl::context> tls_context;  // kept alive for `tls`
  std::optional<PlainStream> plain;
  std::optional<TlsStream> tls;
  bool absolute_form = false;
  std::string proxy_authorization;

  PlainStream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

absl::StatusOr<std::unique_ptr<Connection>> Connect(
    const Url& base, const ClientOptions& options,
    const std::shared_ptr<net::ssl::context>& tls_context, bool verify_host,
    Clock::time_point deadline) {
  auto connection = std::make_unique<Connection>();
  ASSIGN_OR_RETURN(DialedConnection dialed, Dial(*connection->ioc, base, options, deadline));
  connection->absolute_form = dialed.absolute_form;
  connection->proxy_authorization = std::move(dialed.proxy_authorization);
  if (tls_context == nullptr) {
    connection->plain.emplace(std::move(dialed.stream));
    return connection;
  }

  connection->tls_context = tls_context;
  connection->tls.emplace(std::move(dialed.stream), *tls_context);
  TlsStream& stream = *connection->tls;
  if (verify_host) {
    RETURN_IF_ERROR(PrepareClientTls(stream, base.host));
  }
  stream.next_layer().expires_at(deadline);
  beast::error_code ec = RunOp(*connection->ioc, [&](auto handler) {
    stream.async_handshake(net::ssl::stream_base::client, std::move(handler));
  });
  if (ec) return TlsHandshakeError(ec, stream, HostPort(base, false));
  return connection;
}

// Writes `request` on whichever stream `connection` holds.
beast::error_code WriteRequest(Connection& connection,
                               bhttp::request<bhttp::string_body>& request) {
  return RunOp(*connection.ioc, [&](auto handler) {
    if (connection.tls) {
      bhttp::async_write(*connection.tls, request, std::move(handler));
    } else {
      bhttp::async_write(*connection.plain, request, std::move(handler));
    }
  });
}

template <class Parser>
beast::error_code ReadResponse(Connection& connection, beast::flat_buffer& buffer,
                               Parser& parser, bool header_only) {
  return RunOp(*connection.ioc, [&](auto handler) {
    if (connection.tls && header_only) {
      bhttp::async_read_header(*connection.tls, buffer, parser, std::move(handler));
    } else if (connection.tls) {
      bhttp::async_read_some(*connection.tls, buffer, parser, std::move(handler));
    } else if (header_only) {
      bhttp::async_read_header(*connection.plain, buffer, parser, std::move(handler));
    } else {
      bhttp::async_read_some(*connection.plain, buffer, parser, std::move(handler));
    }
  });
}

class ResponseStreamImpl final : public ResponseStream {
 public:
  ResponseStreamImpl(std::unique_ptr<Connection> connection,
                     std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser,
                     beast::flat_buffer buffer, std::chrono::milliseconds idle_timeout,
                     std::string what)
      : connection_(std::move(connection)),
        parser_(std::move(parser)),
        buffer_(std::move(buffer)),
        idle_timeout_(idle_timeout),
        what_(std::move(what)),
        closer_(std::make_shared<SocketCloser>(
            connection_->lowest().socket().native_handle())) {}

  ~ResponseStreamImpl() override { closer_->Release(); }

  int status() const override { return static_cast<int>(parser_->get().result_int()); }

  std::string Header(std::string_view name) const override {
    auto it = parser_->get().find(ToBeast(name));
    return it == parser_->get().end() ? std::string() : std::string(ToStd(it->value()));
  }

  absl::StatusOr<bool> Read(std::string* out) override;

  void Cancel() override {
    cancelled_ = true;
    closer_->Shutdown();
  }

 private:
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  beast::flat_buffer buffer_;
  const std::chrono::milliseconds idle_timeout_;
  const std::string what_;
  std::shared_ptr<SocketCloser> closer_;
  std::atomic<bool> cancelled_{false};
  bool failed_ = false;
};

absl::StatusOr<bool> ResponseStreamImpl::Read(std::string* out) {
  char piece[kReadChunkBytes];
  while (true) {
    if (cancelled_) return absl::CancelledError(what_ + " was cancelled");
    if (failed_) return absl::UnavailableError(what_ + " already failed");
    if (parser_->is_done()) return false;

    parser_->get().body().data = piece;
    parser_->get().body().size = sizeof(piece);
    connection_->lowest().expires_after(idle_timeout_);
    beast::error_code ec = ReadResponse(*connection_, buffer_, *parser_, false);
    size_t received = sizeof(piece) - parser_->get().body().size;
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      failed_ = true;
      if (cancelled_) return absl::CancelledError(what_ + " was cancelled");
      if (ec == beast::error::timeout) {
        return absl::DeadlineExceededError(
            Concat(what_, ": no data for ", idle_timeout_.count(), " ms"));
      }
      return TransportError(ec, what_);
    }
    if (received > 0) {
      out->append(piece, received);
      return true;
    }
  }
}

class StreamingClientImpl final : public StreamingClient {
 public:
  StreamingClientImpl(Url base, ClientOptions options, TlsSettings tls,
                      std::shared_ptr<net::ssl::context> tls_context)
      : base_(std::move(base)),
        options_(std::move(options)),
        verify_host_(!tls.insecure_skip_verify),
        tls_context_(std::move(tls_context)) {
    path_prefix_ = base_.target.substr(0, base_.target.find('?'));
    while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
  }

  absl::StatusOr<Response> Send(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view content_type,
                                const Headers& headers) override;

  absl::StatusOr<std::unique_ptr<ResponseStream>> Open(
      std::string_view method, std::string_view target, const Headers& headers,
      std::chrono::milliseconds idle_timeout) override;

 private:
  bhttp::request<bhttp::string_body> BuildRequest(std::string_view method,
                                                  std::string_view target,
                                                  std::string_view body,
                                                  std::string_view content_type,
                                                  const Headers& headers) const;
  void AimRequest(const Connection& connection, std::string_view target,
                  bhttp::request<bhttp::string_body>& request) const;
  std::string Describe(std::string_view method, std::string_view target) const {
    return Concat(method, " '", base_.scheme, "://", HostPort(base_, false), target, "'");
  }

  const Url base_;
  const ClientOptions options_;
  const bool verify_host_;
  const std::shared_ptr<net::ssl::context> tls_context_;  // null for http
  std::string path_prefix_;
  std::unique_ptr<Connection> idle_;  // the kept-alive connection of Send()
};

bhttp::request<bhttp::string_body> StreamingClientImpl::BuildRequest(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type, const Headers& headers) const {
  bhttp::request<bhttp::string_body> request;
  request.method_string(ToBeast(method));
  request.version(11);
  request.set(bhttp::field::host, HostPort(base_, true));
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.set(bhttp::field::content_type, ToBeast(content_type));
  }
  for (const auto& [name, value] : headers) request.set(ToBeast(name), ToBeast(value));
  request.body() = std::string(body);
  request.prepare_payload();
  return request;
}

void StreamingClientImpl::AimRequest(const Connection& connection, std::string_view target,
                                     bhttp::request<bhttp::string_body>& request) const {
  if (!connection.absolute_form) {
    request.target(Concat(path_prefix_, target));
    return;
  }
  request.target(Concat(base_.scheme, "://", HostPort(base_, true), path_prefix_, target));
  if (!connection.proxy_authorization.empty()) {
    request.set(bhttp::field::proxy_authorization, connection.proxy_authorization);
  }
}

absl::StatusOr<Response> StreamingClientImpl::Send(std::string_view method,
                                                   std::string_view target,
                                                   std::string_view body,
                                                   std::string_view content_type,
                                                   const Headers& headers) {
  auto deadline = Clock::now() + options_.timeout;
  std::string what = Describe(method, target);
  bhttp::request<bhttp::string_body> request =
      BuildRequest(method, target, body, content_type, headers);

  // As in Client::Send, a reused connection is retried once, and only when
  // it failed before any response byte, so the server never saw the request.
  for (int attempt = 0;; ++attempt) {
    bool reused = idle_ != nullptr;
    if (!reused) {
      ASSIGN_OR_RETURN(idle_, Connect(base_, options_, tls_context_, verify_host_, deadline));
    }
    Connection& connection = *idle_;
    AimRequest(connection, target, request);
    connection.lowest().expires_at(deadline);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    parser.header_limit(64 * 1024);
    if (method == "HEAD") parser.skip(true);
    beast::error_code ec = WriteRequest(connection, request);
    if (!ec) {
      ec = RunOp(*connection.ioc, [&](auto handler) {
        if (connection.tls) {
          bhttp::async_read(*connection.tls, buffer, parser, std::move(handler));
        } else {
          bhttp::async_read(*connection.plain, buffer, parser, std::move(handler));
        }
      });
    }
    bool received_any = parser.got_some() || buffer.size() > 0;
    if (!ec) {
      bhttp::response<bhttp::string_body> message = parser.release();
      Response response;
      response.status = static_cast<int>(message.result_int());
      response.content_type = std::string(ToStd(message[bhttp::field::content_type]));
      for (const auto& field : message) {
        response.headers.emplace_back(std::string(ToStd(field.name_string())),
                                      std::string(ToStd(field.value())));
      }
      response.body = std::move(message.body());
      if (!message.keep_alive()) idle_.reset();
      return response;
    }

    idle_.reset();
    if (reused && attempt == 0 && !received_any && IsConnectionLoss(ec)) continue;
    if (ec == bhttp::error::body_limit) {
      return absl::ResourceExhaustedError(
          Concat(what, " failed: the response body exceeds the limit of ",
                 options_.max_response_bytes, " bytes; raise max_response_bytes"));
    }
    return TransportError(ec, what);
  }
}

absl::StatusOr<std::unique_ptr<ResponseStream>> StreamingClientImpl::Open(
    std::string_view method, std::string_view target, const Headers& headers,
    std::chrono::milliseconds idle_timeout) {
  auto deadline = Clock::now() + options_.timeout;
  std::string what = Describe(method, target);
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                   Connect(base_, options_, tls_context_, verify_host_, deadline));
  bhttp::request<bhttp::string_body> request = BuildRequest(method, target, {}, {}, headers);
  AimRequest(*connection, target, request);
  connection->lowest().expires_at(deadline);

  beast::error_code ec = WriteRequest(*connection, request);
  if (ec) return TransportError(ec, what);
  auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
  parser->header_limit(64 * 1024);
  // A watch stays open for as long as the server allows, so its body has no
  // size limit; each Read() returns a bounded piece.
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  beast::flat_buffer buffer;
  ec = ReadResponse(*connection, buffer, *parser, true);
  if (ec) return TransportError(ec, what);
  return std::unique_ptr<ResponseStream>(new ResponseStreamImpl(
      std::move(connection), std::move(parser), std::move(buffer), idle_timeout, what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamingClient>> StreamingClient::Create(
    std::string_view base_url, const ClientOptions& options, const TlsSettings& tls) {
  ASSIGN_OR_RETURN(Url base, ParseUrl(base_url));
  if (base.scheme == "ws" || base.scheme == "wss") {
    return absl::InvalidArgumentError(
        Concat("invalid base URL '", base_url, "': use http:// or https://"));
  }
  std::shared_ptr<net::ssl::context> context;
  if (base.secure()) {
    ASSIGN_OR_RETURN(context, MakeContext(options, tls));
  }
  return std::unique_ptr<StreamingClient>(
      new StreamingClientImpl(std::move(base), options, tls, std::move(context)));
}

}  // namespace ty::http
