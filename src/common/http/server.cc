// Server: the listener, the per-connection threads and Stop().

#include "common/http/server.h"

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/http/beast_internal.h"
#include "common/log.h"

namespace ty::http {
namespace {

// Stop() closes the listener, shuts down every live connection's socket and
// joins every connection thread. A connection that is waiting for a request
// or blocked in a WebSocket read ends at once. A handler that is still
// running is not interrupted: Stop waits for it to return, and writing its
// response then fails. A WebSocket that a handler stored elsewhere before
// returning is no longer tracked, and its owner closes it.
class ServerImpl final : public Server {
 public:
  ServerImpl(ServerContext context, uint16_t port)
      : context_(std::move(context)), acceptor_(accept_ioc_), port_(port) {}

  ~ServerImpl() override { Stop(); }

  absl::Status Listen(const tcp::endpoint& endpoint);
  uint16_t port() const override { return port_; }
  void Stop() override;

 private:
  struct Connection {
    std::thread thread;
    std::shared_ptr<SocketCloser> closer;
    bool finished = false;
  };

  void AcceptNext();
  void OnAccept(beast::error_code ec, std::unique_ptr<net::io_context> ioc, tcp::socket socket);
  void JoinFinished();

  const ServerContext context_;
  net::io_context accept_ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_{accept_ioc_};
  uint16_t port_;
  std::thread accept_thread_;

  std::mutex stop_mu_;  // serialises Stop()
  bool stopped_ = false;

  std::mutex mu_;
  bool stopping_ = false;  // guarded by mu_
  uint64_t next_id_ = 0;   // guarded by mu_
  std::map<uint64_t, Connection> connections_;  // guarded by mu_
};

absl::Status ServerImpl::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(Concat(
        "listen on '", endpoint.address().to_string(), ":", endpoint.port(), "': ", ec.message(),
        "; choose another port or stop the process that uses it"));
  }
  port_ = acceptor_.local_endpoint().port();

  AcceptNext();
  accept_thread_ = std::thread([this] { accept_ioc_.run(); });
  return absl::OkStatus();
}

void ServerImpl::AcceptNext() {
  // Each connection gets its own io_context, run only by its own thread.
  auto ioc = std::make_unique<net::io_context>(1);
  net::io_context& target = *ioc;
  acceptor_.async_accept(target, [this, ioc = std::move(ioc)](beast::error_code ec,
                                                              tcp::socket socket) mutable {
    OnAccept(ec, std::move(ioc), std::move(socket));
  });
}

void ServerImpl::OnAccept(beast::error_code ec, std::unique_ptr<net::io_context> ioc,
                          tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;
  JoinFinished();
  if (ec) {
    // Running out of descriptors is the usual cause; retrying at once would
    // spin, so wait a moment for connections to end.
    ty::log::Warning("accept failed on port {} because {}; retrying", port_, ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) AcceptNext();
    });
    return;
  }

  std::lock_guard lock(mu_);
  if (stopping_) return;  // the socket closes as it goes out of scope
  auto closer = std::make_shared<SocketCloser>(socket.native_handle());
  uint64_t id = next_id_++;
  Connection& connection = connections_[id];
  connection.closer = closer;
  connection.thread = std::thread(
      [this, id, closer, ioc = std::move(ioc), socket = std::move(socket)]() mutable {
        ServeConnection(context_, std::move(ioc), std::move(socket), std::move(closer));
        std::lock_guard lock(mu_);
        if (auto it = connections_.find(id); it != connections_.end()) it->second.finished = true;
      });
  AcceptNext();
}

void ServerImpl::JoinFinished() {
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.finished) {
        finished.push_back(std::move(it->second.thread));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // A finished thread has only its lock release left, so these joins are short.
  for (std::thread& thread : finished) thread.join();
}

void ServerImpl::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;

  // The accept thread runs only accept_ioc_; once it is joined nothing else
  // touches the acceptor.
  accept_ioc_.stop();
  if (accept_thread_.joinable()) accept_thread_.join();
  beast::error_code ignored;
  acceptor_.close(ignored);

  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, connection] : connections_) {
      connection.closer->Shutdown();
      threads.push_back(std::move(connection.thread));
    }
    connections_.clear();
  }
  for (std::thread& thread : threads) thread.join();
  ty::log::Info("http server on port {} stopped", port_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      Handler handler,
                                                      WebSocketHandler websocket_handler) {
  return Start(options, std::move(handler), std::move(websocket_handler), nullptr);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      Handler handler,
                                                      WebSocketHandler websocket_handler,
                                                      WebSocketFilter websocket_filter) {
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec && options.host == "localhost") address = net::ip::make_address_v4("127.0.0.1");
  else if (ec) {
    return absl::InvalidArgumentError(Concat(
        "invalid listen host '", options.host,
        "': expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, or localhost"));
  }

  ServerContext context{options, std::move(handler), std::move(websocket_handler),
                        std::move(websocket_filter), nullptr};
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          "HTTPS needs both a certificate file and a key file; set both or neither");
    }
    auto tls = MakeServerTlsContext(options.tls_cert_file, options.tls_key_file);
    if (!tls.ok()) return tls.status();
    context.tls = *std::move(tls);
  }

  auto server = std::make_unique<ServerImpl>(std::move(context), options.port);
  absl::Status listening = server->Listen(tcp::endpoint(address, options.port));
  if (!listening.ok()) return listening;
  ty::log::Info("http server listening on {}:{}{}", address.to_string(), server->port(),
                options.tls_cert_file.empty() ? "" : " with TLS");
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ty::http

