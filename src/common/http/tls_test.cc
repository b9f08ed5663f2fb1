#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "common/http/client.h"
#include "common/http/server.h"
#include "common/http/test_support.h"

namespace ty::http {
namespace {

using testing::CertificateFiles;
using testing::ConnectProxy;
using testing::TempDir;

// An HTTPS server with a fresh self-signed certificate for 127.0.0.1 and
// localhost. It returns each request's path and echoes WebSocket messages.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testing::WriteSelfSignedCertificate(dir_.path());
    ServerOptions options;
    options.tls_cert_file = cert_.cert_file;
    options.tls_key_file = cert_.key_file;
    auto server = Server::Start(
        options,
        [](Request& request) {
          Response response;
          response.content_type = "text/plain";
          response.body = "secure " + request.path;
          return response;
        },
        [](const Request&, std::unique_ptr<WebSocket> socket) {
          for (;;) {
            absl::StatusOr<std::string> message = socket->Read();
            if (!message.ok() || !socket->Write("echo " + *message).ok()) return;
          }
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string Url(const std::string& scheme, const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(server_->port());
  }

  TempDir dir_;
  CertificateFiles cert_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ClientWithCaSucceeds) {
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto client = Client::Create(Url("https", host), ClientOptions{.ca_file = cert_.cert_file});
    ASSERT_TRUE(client.ok()) << client.status();
    for (int i = 0; i < 2; ++i) {  // the second request reuses the TLS connection
      auto response = (*client)->Send("GET", "/a");
      ASSERT_TRUE(response.ok()) << host << ": " << response.status();
      EXPECT_EQ(response->body, "secure /a");
    }
  }
}

TEST_F(TlsTest, ClientWithoutCaFailsVerification) {
  auto client = Client::Create(Url("https"));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::Status status = (*client)->Send("GET", "/a").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("certificate verify failed"), absl::string_view::npos)
      << status;
}

TEST(TlsHostTest, HostNameMustMatchCertificate) {
  TempDir dir;
  CertificateFiles cert = testing::WriteSelfSignedCertificate(dir.path(), "DNS:other.test");
  auto server = Server::Start(
      ServerOptions{.tls_cert_file = cert.cert_file, .tls_key_file = cert.key_file},
      [](Request&) { return Response{}; }, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = Client::Create("https://127.0.0.1:" + std::to_string((*server)->port()),
                               ClientOptions{.ca_file = cert.cert_file});
  ASSERT_TRUE(client.ok());
  absl::Status status = (*client)->Send("GET", "/a").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("certificate verify failed"), absl::string_view::npos)
      << status;
}

TEST_F(TlsTest, PlainClientGetsNoAnswerFromTlsServer) {
  auto client = Client::Create(Url("http"), ClientOptions{.timeout = std::chrono::seconds(5)});
  ASSERT_TRUE(client.ok());
  EXPECT_FALSE((*client)->Send("GET", "/a").ok());
}

TEST_F(TlsTest, SecureWebSocketEchoes) {
  auto socket = ConnectWebSocket(Url("wss") + "/ws", {}, ClientOptions{.ca_file = cert_.cert_file});
  ASSERT_TRUE(socket.ok()) << socket.status();
  ASSERT_TRUE((*socket)->Write("ping").ok());
  auto echo = (*socket)->Read();
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, "echo ping");
}

TEST_F(TlsTest, HttpsTunnelsThroughConnectProxy) {
  ConnectProxy proxy;
  ClientOptions options{.ca_file = cert_.cert_file};
  options.proxy_override = proxy.url();
  auto client = Client::Create(Url("https", "localhost"), options);
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("GET", "/through");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "secure /through");
  EXPECT_EQ(proxy.targets(),
            std::vector<std::string>{"localhost:" + std::to_string(server_->port())});
}

TEST_F(TlsTest, WebSocketTunnelsThroughConnectProxy) {
  ConnectProxy proxy;
  ClientOptions options{.ca_file = cert_.cert_file};
  options.proxy_override = proxy.url();
  auto socket = ConnectWebSocket(Url("wss") + "/ws", {}, options);
  ASSERT_TRUE(socket.ok()) << socket.status();
  ASSERT_TRUE((*socket)->Write("tunnelled").ok());
  auto echo = (*socket)->Read();
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, "echo tunnelled");
  EXPECT_EQ(proxy.targets(),
            std::vector<std::string>{"127.0.0.1:" + std::to_string(server_->port())});
}

TEST_F(TlsTest, ProxyRefusalIsUnavailable) {
  testing::Listener rejecting_proxy;
  std::thread proxy([&] {
    int fd = rejecting_proxy.Accept();
    testing::ReadUntil(fd, "\r\n\r\n");
    testing::SendAll(fd, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    testing::ReadUntilClose(fd);
    ::close(fd);
  });
  ClientOptions options{.ca_file = cert_.cert_file};
  options.proxy_override = "http://127.0.0.1:" + std::to_string(rejecting_proxy.port());
  auto client = Client::Create(Url("https"), options);
  ASSERT_TRUE(client.ok());
  absl::Status status = (*client)->Send("GET", "/").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("407"), absl::string_view::npos) << status;
  client->reset();
  proxy.join();
}

}  // namespace
}  // namespace ty::http
