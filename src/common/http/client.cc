// Client: keep-alive HTTP/1.1 requests over plain TCP or TLS.

#include "common/http/client.h"

#include <optional>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/http/beast_internal.h"
#include "common/status_macros.h"

namespace ty::http {
namespace {

namespace bhttp = beast::http;

// True for the errors a server's close of an idle keep-alive connection
// produces on the next request.
bool IsConnectionLoss(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

class ClientImpl final : public Client {
 public:
  ClientImpl(Url base, ClientOptions options, std::shared_ptr<net::ssl::context> tls)
      : base_(std::move(base)), options_(std::move(options)), tls_context_(std::move(tls)) {
    // A base URL such as "http://host/prefix/" puts "/prefix" before every
    // target.
    path_prefix_ = base_.target.substr(0, base_.target.find('?'));
    while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
  }

  absl::StatusOr<Response> Send(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view content_type,
                                const Headers& headers) override;

 private:
  struct Outcome {
    beast::error_code ec;
    bool received_any = false;  // some response bytes arrived
    bool keep_alive = false;
  };

  bool connected() const { return plain_.has_value() || tls_.has_value(); }
  absl::Status Connect(std::chrono::steady_clock::time_point deadline);
  void Disconnect();

  template <class Stream>
  Outcome Exchange(Stream& stream, bhttp::request<bhttp::string_body>& request,
                   Response* response);

  const Url base_;
  const ClientOptions options_;
  const std::shared_ptr<net::ssl::context> tls_context_;  // null for http
  std::string path_prefix_;
  net::io_context ioc_{1};
  // At most one of these holds the open connection.
  std::optional<PlainStream> plain_;
  std::optional<TlsStream> tls_;
  bool absolute_form_ = false;
  std::string proxy_authorization_;
};

absl::Status ClientImpl::Connect(std::chrono::steady_clock::time_point deadline) {
  ASSIGN_OR_RETURN(DialedConnection dialed, Dial(ioc_, base_, options_, deadline));
  absolute_form_ = dialed.absolute_form;
  proxy_authorization_ = std::move(dialed.proxy_authorization);
  if (tls_context_ == nullptr) {
    plain_.emplace(std::move(dialed.stream));
    return absl::OkStatus();
  }

  tls_.emplace(std::move(dialed.stream), *tls_context_);
  absl::Status prepared = PrepareClientTls(*tls_, base_.host);
  beast::error_code ec;
  if (prepared.ok()) {
    ec = RunOp(ioc_, [&](auto handler) {
      tls_->async_handshake(net::ssl::stream_base::client, std::move(handler));
    });
  }
  if (!prepared.ok() || ec) {
    absl::Status status =
        prepared.ok() ? TlsHandshakeError(ec, *tls_, HostPort(base_, false)) : prepared;
    Disconnect();
    return status;
  }
  return absl::OkStatus();
}

void ClientImpl::Disconnect() {
  // No TLS close_notify: the connection is dropped either way, and waiting
  // for the peer's reply would only add latency.
  plain_.reset();
  tls_.reset();
}

template <class Stream>
ClientImpl::Outcome ClientImpl::Exchange(Stream& stream,
                                         bhttp::request<bhttp::string_body>& request,
                                         Response* response) {
  Outcome outcome;
  outcome.ec = RunOp(ioc_, [&](auto handler) {
    bhttp::async_write(stream, request, std::move(handler));
  });
  if (outcome.ec) return outcome;

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  parser.header_limit(64 * 1024);
  if (request.method() == bhttp::verb::head) parser.skip(true);
  outcome.ec = RunOp(ioc_, [&](auto handler) {
    bhttp::async_read(stream, buffer, parser, std::move(handler));
  });
  outcome.received_any = parser.got_some() || buffer.size() > 0;
  if (outcome.ec) return outcome;

  bhttp::response<bhttp::string_body> message = parser.release();
  response->status = static_cast<int>(message.result_int());
  response->content_type = std::string(message[bhttp::field::content_type]);
  for (const auto& field : message) {
    response->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response->body = std::move(message.body());
  outcome.keep_alive = message.keep_alive();
  return outcome;
}

absl::StatusOr<Response> ClientImpl::Send(std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view content_type,
                                          const Headers& headers) {
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  std::string what = Concat(method, " '", base_.scheme, "://", HostPort(base_, false),
                                  target, "'");

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

  // A reused connection that the server closed while idle fails before any
  // response byte arrives; only then is resending safe, because the server
  // cannot have started on the request.
  for (int attempt = 0;; ++attempt) {
    bool reused = connected();
    if (!reused) RETURN_IF_ERROR(Connect(deadline));
    if (absolute_form_) {
      request.target(
          Concat(base_.scheme, "://", HostPort(base_, true), path_prefix_, target));
      if (!proxy_authorization_.empty()) {
        request.set(bhttp::field::proxy_authorization, proxy_authorization_);
      }
    } else {
      request.target(Concat(path_prefix_, target));
    }

    Response response;
    Outcome outcome;
    if (tls_) {
      beast::get_lowest_layer(*tls_).expires_at(deadline);
      outcome = Exchange(*tls_, request, &response);
    } else {
      plain_->expires_at(deadline);
      outcome = Exchange(*plain_, request, &response);
    }
    if (!outcome.ec) {
      if (!outcome.keep_alive) Disconnect();
      return response;
    }

    Disconnect();
    if (reused && attempt == 0 && !outcome.received_any && IsConnectionLoss(outcome.ec)) {
      continue;
    }
    if (outcome.ec == bhttp::error::body_limit) {
      return absl::ResourceExhaustedError(
          Concat(what, " failed: the response body exceeds the limit of ",
                       options_.max_response_bytes, " bytes; raise max_response_bytes"));
    }
    return TransportError(outcome.ec, what);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(std::string_view base_url,
                                                       const ClientOptions& options) {
  ASSIGN_OR_RETURN(Url base, ParseUrl(base_url));
  if (base.scheme == "ws" || base.scheme == "wss") {
    return absl::InvalidArgumentError(Concat(
        "invalid base URL '", base_url, "': use http:// or https://; ws:// and wss:// are for "
        "ConnectWebSocket"));
  }
  std::shared_ptr<net::ssl::context> tls;
  if (base.secure()) {
    ASSIGN_OR_RETURN(tls, MakeClientTlsContext(options.ca_file));
  }
  return std::unique_ptr<Client>(new ClientImpl(std::move(base), options, std::move(tls)));
}

}  // namespace ty::http
