#include "common/http/client.h"

#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "common/http/test_support.h"

namespace ty::http {
namespace {

using testing::Listener;
using testing::ReadUntil;
using testing::SendAll;

constexpr char kOkKeepAlive[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST(ClientTest, CreateRejectsBadUrls) {
  EXPECT_EQ(Client::Create("127.0.0.1:80").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Client::Create("ws://127.0.0.1:80").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Verifies that a request on a keep-alive connection that the server closed
// while idle is resent once on a new connection.
TEST(ClientTest, ReconnectsAfterServerClosedIdleConnection) {
  Listener listener;
  std::thread server([&] {
    int first = listener.Accept();
    ReadUntil(first, "\r\n\r\n");
    SendAll(first, kOkKeepAlive);
    ::close(first);  // closes the idle connection despite keep-alive
    int second = listener.Accept();
    std::string request = ReadUntil(second, "\r\n\r\n");
    SendAll(second, request.rfind("GET /second", 0) == 0 ? kOkKeepAlive : "HTTP/1.1 500 X\r\n\r\n");
    ReadUntil(second, "never");  // waits for the client to go away
    ::close(second);
  });

  {
    auto client = Client::Create("http://127.0.0.1:" + std::to_string(listener.port()));
    ASSERT_TRUE(client.ok());
    auto first = (*client)->Send("GET", "/first");
    ASSERT_TRUE(first.ok()) << first.status();
    auto second = (*client)->Send("GET", "/second");
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->status, 200);
    EXPECT_EQ(second->body, "ok");
  }
  server.join();
}

TEST(ClientTest, TimesOutWhenServerNeverAnswers) {
  Listener listener;
  std::promise<void> done;
  std::thread server([&] {
    int fd = listener.Accept();
    done.get_future().wait();
    ::close(fd);
  });
  auto client = Client::Create("http://127.0.0.1:" + std::to_string(listener.port()),
                               ClientOptions{.timeout = std::chrono::milliseconds(100)});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Send("GET", "/").status().code(), absl::StatusCode::kDeadlineExceeded);
  done.set_value();
  server.join();
}

TEST(ClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    Listener closed;
    port = closed.port();
  }
  auto client = Client::Create("http://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(client.ok());
  absl::Status status = (*client)->Send("GET", "/").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("connect to '127.0.0.1:"), absl::string_view::npos) << status;
}

TEST(ClientTest, PlainHttpProxyGetsAbsoluteFormWithCredentials) {
  Listener proxy;
  std::promise<std::string> seen;
  std::thread server([&] {
    int fd = proxy.Accept();
    seen.set_value(ReadUntil(fd, "\r\n\r\n"));
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    ::close(fd);
  });
  ClientOptions options;
  options.proxy_override = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
  auto client = Client::Create("http://backend.example:8080/base/", options);
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("GET", "/x?y=1");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "ok");
  std::string request = seen.get_future().get();
  EXPECT_EQ(request.rfind("GET http://backend.example:8080/base/x?y=1 HTTP/1.1\r\n", 0), 0u)
      << request;
  // base64("user:p@ss")
  EXPECT_NE(request.find("Proxy-Authorization: Basic dXNlcjpwQHNz"), std::string::npos)
      << request;
  server.join();
}

TEST(ClientTest, UnsupportedProxySchemeIsInvalidArgument) {
  ClientOptions options;
  options.proxy_override = "https://127.0.0.1:1";
  auto client = Client::Create("http://127.0.0.1:2", options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Send("GET", "/").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ty::http
