#include "common/http/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.h"
#include "common/http/router.h"
#include "common/http/test_support.h"

namespace ty::http {
namespace {

using testing::ConnectLoopback;
using testing::ReadUntil;
using testing::ReadUntilClose;
using testing::SendAll;

std::string BaseUrl(const Server& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

std::unique_ptr<Server> StartServer(Handler handler, ServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(options, std::move(handler), nullptr);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/items/{item}", [this](Request& request) {
      remotes_.insert(request.remote_address);
      nlohmann::json body = {{"item", request.Param("item")},
                             {"q", request.Query("q")},
                             {"path", request.path},
                             {"agent", request.Header("x-agent")}};
      Response response;
      response.body = body.dump();
      response.headers.emplace_back("X-Served", "yes");
      return response;
    });
    router_.Add("POST", "/items", [this](Request& request) {
      ++posts_;
      Response response;
      response.status = 201;
      response.content_type = "text/plain";
      response.body = "got " + request.body + " as " + request.Header("content-type");
      return response;
    });
    server_ = StartServer([this](Request& request) { return router_.Dispatch(request); },
                          ServerOptions{.max_body_bytes = 16});
  }

  Router router_;
  std::set<std::string> remotes_;  // handlers run one at a time in these tests
  std::atomic<int> posts_{0};
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, GetAndPostRoundTrip) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok()) << client.status();

  auto get = (*client)->Send("GET", "/items/a%20b?q=x%26y", "", "", {{"X-Agent", "test"}});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->content_type, "application/json");
  EXPECT_EQ(get->Header("x-served"), "yes");
  nlohmann::json body = nlohmann::json::parse(get->body);
  EXPECT_EQ(body["item"], "a b");
  EXPECT_EQ(body["q"], "x&y");
  EXPECT_EQ(body["path"], "/items/a b");
  EXPECT_EQ(body["agent"], "test");

  auto post = (*client)->Send("POST", "/items", "hello", "text/plain");
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->status, 201);
  EXPECT_EQ(post->body, "got hello as text/plain");
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 5; ++i) {
    auto response = (*client)->Send("GET", "/items/" + std::to_string(i));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(remotes_.size(), 1u);
}

TEST_F(ServerTest, UnknownPathAndWrongMethod) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  auto missing = (*client)->Send("GET", "/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  auto wrong = (*client)->Send("DELETE", "/items");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("allow"), "POST");
}

TEST_F(ServerTest, BodyOverLimitIs413WithoutHandler) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("POST", "/items", std::string(17, 'x'), "text/plain");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  nlohmann::json body = nlohmann::json::parse(response->body);
  EXPECT_EQ(body["error"]["code"], "ResourceExhausted");
  EXPECT_EQ(body["error"]["message"], "request body of 17 bytes exceeds the limit of 16 bytes");
  EXPECT_EQ(posts_, 0);

  // The client reconnects after the server closed the connection.
  auto small = (*client)->Send("POST", "/items", "ok", "text/plain");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->status, 201);
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "POST /items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "10\r\n0123456789abcdef\r\n5\r\nmore!\r\n0\r\n\r\n"));
  std::string reply = ReadUntilClose(fd);
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("exceeds the limit of 16 bytes"), std::string::npos);
  EXPECT_EQ(posts_, 0);
}

TEST_F(ServerTest, HeadGetsGetHeadersWithoutBody) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  auto get = (*client)->Send("GET", "/items/x");
  ASSERT_TRUE(get.ok()) << get.status();
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);

  ASSERT_TRUE(SendAll(fd, "HEAD /items/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string reply = ReadUntilClose(fd);
  ::close(fd);

  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("X-Served: yes"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Length: " + std::to_string(get->body.size()) + "\r\n"),
            std::string::npos)
      << reply;
  size_t end_of_headers = reply.find("\r\n\r\n");
  ASSERT_NE(end_of_headers, std::string::npos) << reply;
  EXPECT_EQ(reply.size(), end_of_headers + 4) << reply;
}

TEST_F(ServerTest, MalformedRequestIs400AndServerSurvives) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "THIS IS NOT HTTP\r\n\r\n"));
  std::string reply = ReadUntilClose(fd);
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("InvalidArgument"), std::string::npos);

  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send("GET", "/items/1");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      "Expect: 100-continue\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(ReadUntil(fd, "\r\n\r\n").rfind("HTTP/1.1 100", 0), 0u);
  ASSERT_TRUE(SendAll(fd, "hi"));
  std::string reply = ReadUntilClose(fd);
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 201", 0), 0u) << reply;
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnection) {
  auto client = Client::Create(BaseUrl(*server_));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send("GET", "/items/1").ok());

  server_->Stop();  // returns although the client keeps its connection open
  server_->Stop();

  EXPECT_EQ((*client)->Send("GET", "/items/1").status().code(), absl::StatusCode::kUnavailable);
}

// Verifies that Stop closes the socket of a connection whose handler still
// runs, and returns once that handler does.
TEST(ServerStopTest, StopWhileHandlerBlocks) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = StartServer([&](Request&) {
    entered.set_value();
    released.wait();
    return Response{};
  });
  ASSERT_NE(server, nullptr);

  std::future<absl::StatusOr<Response>> reply = std::async(std::launch::async, [&] {
    auto client = Client::Create(BaseUrl(*server));
    return (*client)->Send("GET", "/slow");
  });
  entered.get_future().wait();

  std::future<void> stopped = std::async(std::launch::async, [&] { server->Stop(); });
  // The client sees its connection end while the handler still blocks.
  EXPECT_EQ(reply.get().status().code(), absl::StatusCode::kUnavailable);
  release.set_value();
  stopped.get();
}

TEST(ServerStartTest, RejectsBadHostAndBusyPort) {
  auto bad = Server::Start(ServerOptions{.host = "not an address"},
                           [](Request&) { return Response{}; }, nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);

  auto first = StartServer([](Request&) { return Response{}; });
  ASSERT_NE(first, nullptr);
  auto second = Server::Start(ServerOptions{.port = first->port()},
                              [](Request&) { return Response{}; }, nullptr);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ServerStartTest, RejectsMissingTlsFiles) {
  auto server = Server::Start(
      ServerOptions{.tls_cert_file = "/nonexistent/cert.pem", .tls_key_file = "/nonexistent/k"},
      [](Request&) { return Response{}; }, nullptr);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("/nonexistent/cert.pem"), absl::string_view::npos);
}

}  // namespace
}  // namespace ty::http
