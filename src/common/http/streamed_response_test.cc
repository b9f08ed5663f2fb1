// Streamed responses: chunked bodies written piece by piece by the handler.

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "common/http/server.h"
#include "common/http/test_support.h"

namespace ty::http {
namespace {

using testing::ConnectLoopback;
using testing::ReadUntil;
using testing::ReadUntilClose;
using testing::SendAll;

std::unique_ptr<Server> StartServer(Handler handler) {
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(ServerOptions{}, std::move(handler), nullptr);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(StreamedResponseTest, ChunksArriveInOrderAndBodyEnds) {
  auto server = StartServer([](Request&) {
    Response response;
    response.content_type = "text/event-stream";
    response.headers.emplace_back("Cache-Control", "no-store");
    response.stream = [](const ChunkWriter& write) {
      EXPECT_TRUE(write("data: one\n\n"));
      EXPECT_TRUE(write(""));  // ignored rather than ending the body early
      EXPECT_TRUE(write("data: two\n\n"));
    };
    return response;
  });
  int fd = ConnectLoopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string raw = ReadUntilClose(fd);
  close(fd);

  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Content-Type: text/event-stream"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Cache-Control: no-store"), std::string::npos) << raw;
  size_t one = raw.find("data: one");
  size_t two = raw.find("data: two");
  ASSERT_NE(one, std::string::npos) << raw;
  ASSERT_NE(two, std::string::npos) << raw;
  EXPECT_LT(one, two);
  EXPECT_EQ(raw.substr(raw.size() - 5), "0\r\n\r\n") << "the body must end with the last chunk";
}

// Verifies that a client going away makes the writer return false, so a
// stream that waits for events between writes ends instead of running on.
TEST(StreamedResponseTest, WriterFailsAfterPeerCloses) {
  std::promise<bool> write_failed;
  std::atomic<bool> first_sent{false};
  auto server = StartServer([&](Request&) {
    Response response;
    response.content_type = "text/event-stream";
    response.stream = [&](const ChunkWriter& write) {
      write("data: first\n\n");
      first_sent = true;
      // The peer closes after the first event; later writes must fail
      // (a reset can take a few writes to surface).
      for (int i = 0; i < 1000; ++i) {
        if (!write(std::string(4096, 'x'))) {
          write_failed.set_value(true);
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      write_failed.set_value(false);
    };
    return response;
  });
  int fd = ConnectLoopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string head = ReadUntil(fd, "data: first");
  EXPECT_NE(head.find("data: first"), std::string::npos);
  close(fd);

  EXPECT_TRUE(write_failed.get_future().get());
}

}  // namespace
}  // namespace ty::http
