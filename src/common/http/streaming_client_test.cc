#include "common/http/streaming_client.h"

#include <unistd.h>

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/http/server.h"
#include "common/http/test_support.h"

namespace ty::http {
namespace {

using testing::Listener;
using testing::ReadUntil;
using testing::SendAll;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string Chunk(const std::string& data) {
  std::stringstream out;
  out << std::hex << data.size() << "\r\n" << data << "\r\n";
  return out.str();
}

std::unique_ptr<StreamingClient> PlainClient(int port) {
  auto client = StreamingClient::Create("http://127.0.0.1:" + std::to_string(port), {}, {});
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(*client);
}

// Verifies that each chunk of a chunked body is returned as soon as it
// arrives, before the body ends.
TEST(StreamingClientTest, ReadsChunksAsTheyArrive) {
  Listener listener;
  std::promise<void> first_read;
  std::thread server([&] {
    int fd = listener.Accept();
    ReadUntil(fd, "\r\n\r\n");
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: watch\r\n\r\n");
    SendAll(fd, Chunk("line one\n"));
    first_read.get_future().wait();
    SendAll(fd, Chunk("line two\n") + "0\r\n\r\n");
    ReadUntil(fd, "never");
    ::close(fd);
  });

  auto client = PlainClient(listener.port());
  auto stream = client->Open("GET", "/watch", {}, std::chrono::seconds(5));
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ((*stream)->status(), 200);
  EXPECT_EQ((*stream)->Header("x-kind"), "watch");

  std::string body;
  auto more = (*stream)->Read(&body);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_TRUE(*more);
  EXPECT_EQ(body, "line one\n");
  first_read.set_value();

  while (true) {
    more = (*stream)->Read(&body);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
  }
  EXPECT_EQ(body, "line one\nline two\n");
  stream->reset();
  server.join();
}

TEST(StreamingClientTest, CancelWakesBlockedRead) {
  Listener listener;
  std::thread server([&] {
    int fd = listener.Accept();
    ReadUntil(fd, "\r\n\r\n");
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    ReadUntil(fd, "never");
    ::close(fd);
  });

  auto client = PlainClient(listener.port());
  auto stream = client->Open("GET", "/watch", {}, std::chrono::seconds(60));
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (*stream)->Cancel();
  });
  std::string body;
  auto more = (*stream)->Read(&body);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kCancelled);
  canceller.join();
  stream->reset();
  server.join();
}

TEST(StreamingClientTest, ReadTimesOutWhenIdle) {
  Listener listener;
  std::thread server([&] {
    int fd = listener.Accept();
    ReadUntil(fd, "\r\n\r\n");
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    ReadUntil(fd, "never");
    ::close(fd);
  });

  auto client = PlainClient(listener.port());
  auto stream = client->Open("GET", "/logs", {}, std::chrono::milliseconds(100));
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::string body;
  auto more = (*stream)->Read(&body);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kDeadlineExceeded);
  stream->reset();
  server.join();
}

TEST(StreamingClientTest, SendKeepsConnectionAlive) {
  Listener listener;
  std::thread server([&] {
    int fd = listener.Accept();
    for (int i = 0; i < 2; ++i) {
      ReadUntil(fd, "\r\n\r\n");
      SendAll(fd, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    }
    ReadUntil(fd, "never");
    ::close(fd);
  });

  {
    auto client = PlainClient(listener.port());
    for (int i = 0; i < 2; ++i) {
      auto response = client->Send("POST", "/things", "{}", "application/json", {});
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->status, 201);
      EXPECT_EQ(response->body, "ok");
    }
  }
  server.join();
}

class StreamingClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = testing::WriteSelfSignedCertificate(dir_.path());
    ServerOptions options;
    options.tls_cert_file = files_.cert_file;
    options.tls_key_file = files_.key_file;
    auto server = Server::Start(
        options, [](Request&) { return Response{.status = 200, .body = "secure"}; }, nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    url_ = "https://127.0.0.1:" + std::to_string(server_->port());
  }

  testing::TempDir dir_;
  testing::CertificateFiles files_;
  std::unique_ptr<Server> server_;
  std::string url_;
};

TEST_F(StreamingClientTlsTest, VerifiesWithCaGivenAsPem) {
  auto client = StreamingClient::Create(url_, {}, {.ca_pem = ReadText(files_.cert_file)});
  ASSERT_TRUE(client.ok()) << client.status();
  auto response = (*client)->Send("GET", "/", {}, {}, {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "secure");
}

TEST_F(StreamingClientTlsTest, RejectsUnknownCertificate) {
  auto client = StreamingClient::Create(url_, {.ca_file = "/etc/ssl/certs/ca-certificates.crt"},
                                        {});
  ASSERT_TRUE(client.ok()) << client.status();
  auto response = (*client)->Send("GET", "/", {}, {}, {});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("certificate verify failed"), std::string::npos)
      << response.status();
}

TEST_F(StreamingClientTlsTest, SkipsVerificationOnlyWhenAsked) {
  auto client = StreamingClient::Create(url_, {}, {.insecure_skip_verify = true});
  ASSERT_TRUE(client.ok()) << client.status();
  auto response = (*client)->Send("GET", "/", {}, {}, {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST(StreamingClientCreateTest, RejectsInvalidPem) {
  auto bad_ca = StreamingClient::Create("https://127.0.0.1:1", {}, {.ca_pem = "not a pem"});
  EXPECT_EQ(bad_ca.status().code(), absl::StatusCode::kInvalidArgument);
  auto half_identity =
      StreamingClient::Create("https://127.0.0.1:1", {}, {.client_cert_pem = "x"});
  EXPECT_EQ(half_identity.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ty::http
