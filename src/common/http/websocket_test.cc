#include "common/http/websocket.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "common/http/client.h"
#include "common/http/server.h"

namespace ty::http {
namespace {

// A server whose WebSocket handler greets, then echoes until the connection
// ends. Tests can also take the server side of a connection for themselves.
class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = Server::Start(
        ServerOptions{}, [](Request&) { return Response{}; },
        [this](const Request& request, std::unique_ptr<WebSocket> socket) {
          if (request.path == "/hold") {
            held_.set_value(socket.get());
            held_done_.get_future().wait();
            return;
          }
          EXPECT_TRUE(socket->Write("hello " + request.Header("x-name")).ok());
          for (;;) {
            absl::StatusOr<std::string> message = socket->Read();
            if (!message.ok()) {
              server_read_status_.set_value(message.status());
              return;
            }
            EXPECT_TRUE(socket->Write("echo " + *message).ok());
          }
        },
        [](const Request& request) -> std::optional<Response> {
          if (request.path == "/forbidden") return ErrorResponse(403, "PermissionDenied", "no");
          if (request.path == "/secret" && request.Header("authorization").empty()) {
            return ErrorResponse(401, "Unauthenticated", "missing token");
          }
          return std::nullopt;
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string Url(const std::string& path) {
    return "ws://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::promise<absl::Status> server_read_status_;
  std::promise<WebSocket*> held_;
  std::promise<void> held_done_;
  std::unique_ptr<Server> server_;
};

TEST_F(WebSocketTest, EchoesInBothDirections) {
  auto socket = ConnectWebSocket(Url("/echo"), {{"X-Name", "agent"}});
  ASSERT_TRUE(socket.ok()) << socket.status();
  auto greeting = (*socket)->Read();
  ASSERT_TRUE(greeting.ok()) << greeting.status();
  EXPECT_EQ(*greeting, "hello agent");

  for (std::string text : {"one", "two", ""}) {
    ASSERT_TRUE((*socket)->Write(text).ok());
    auto echo = (*socket)->Read();
    ASSERT_TRUE(echo.ok()) << echo.status();
    EXPECT_EQ(*echo, "echo " + text);
  }

  (*socket)->Close();
  EXPECT_EQ(server_read_status_.get_future().get().code(), absl::StatusCode::kUnavailable);
}

TEST_F(WebSocketTest, CarriesLargeMessages) {
  auto socket = ConnectWebSocket(Url("/echo"), {});
  ASSERT_TRUE(socket.ok()) << socket.status();
  ASSERT_TRUE((*socket)->Read().ok());
  std::string large(8 << 20, 'x');
  ASSERT_TRUE((*socket)->Write(large).ok());
  auto echo = (*socket)->Read();
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->size(), large.size() + 5);
}

TEST_F(WebSocketTest, HttpSchemeIsAccepted) {
  auto socket = ConnectWebSocket(
      "http://127.0.0.1:" + std::to_string(server_->port()) + "/echo", {});
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_TRUE((*socket)->Read().ok());
}

TEST_F(WebSocketTest, ReadTimeoutLeavesConnectionUsable) {
  auto socket = ConnectWebSocket(Url("/echo"), {});
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE((*socket)->Read().ok());

  (*socket)->SetReadTimeout(std::chrono::milliseconds(20));
  EXPECT_EQ((*socket)->Read().status().code(), absl::StatusCode::kDeadlineExceeded);

  (*socket)->SetReadTimeout(std::chrono::milliseconds(0));
  ASSERT_TRUE((*socket)->Write("again").ok());
  auto echo = (*socket)->Read();
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(*echo, "echo again");
}

TEST_F(WebSocketTest, CloseUnblocksClientRead) {
  auto socket = ConnectWebSocket(Url("/echo"), {});
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE((*socket)->Read().ok());
  std::future<absl::Status> read = std::async(std::launch::async, [&] {
    return (*socket)->Read().status();
  });
  (*socket)->Close();
  (*socket)->Close();
  EXPECT_EQ(read.get().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*socket)->Write("late").code(), absl::StatusCode::kUnavailable);
}

TEST_F(WebSocketTest, CloseUnblocksServerRead) {
  auto client = ConnectWebSocket(Url("/hold"), {});
  ASSERT_TRUE(client.ok());
  WebSocket* server_side = held_.get_future().get();
  std::future<absl::Status> read = std::async(std::launch::async, [&] {
    return server_side->Read().status();
  });
  server_side->Close();
  EXPECT_EQ(read.get().code(), absl::StatusCode::kUnavailable);
  // The client learns that the server closed.
  EXPECT_EQ((*client)->Read().status().code(), absl::StatusCode::kUnavailable);
  held_done_.set_value();
}

TEST_F(WebSocketTest, ServerStopEndsBlockedHandlerRead) {
  auto socket = ConnectWebSocket(Url("/echo"), {});
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE((*socket)->Read().ok());
  server_->Stop();
  EXPECT_EQ(server_read_status_.get_future().get().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*socket)->Read().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(WebSocketTest, RejectedUpgradesMapToStatusCodes) {
  EXPECT_EQ(ConnectWebSocket(Url("/secret"), {}).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto accepted = ConnectWebSocket(Url("/secret"), {{"Authorization", "Bearer t"}});
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE((*accepted)->Read().ok());
  EXPECT_EQ(ConnectWebSocket(Url("/forbidden"), {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(WebSocketConnectTest, ServerWithoutHandlerAnswers404) {
  auto server = Server::Start(ServerOptions{}, [](Request&) { return Response{}; }, nullptr);
  ASSERT_TRUE(server.ok());
  auto socket =
      ConnectWebSocket("ws://127.0.0.1:" + std::to_string((*server)->port()) + "/x", {});
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(socket.status().message().find("404"), absl::string_view::npos);
}

TEST(WebSocketConnectTest, UnreachableServerIsUnavailable) {
  auto server = Server::Start(ServerOptions{}, [](Request&) { return Response{}; }, nullptr);
  ASSERT_TRUE(server.ok());
  uint16_t port = (*server)->port();
  (*server)->Stop();
  EXPECT_EQ(ConnectWebSocket("ws://127.0.0.1:" + std::to_string(port) + "/", {}).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ty::http
