// The REST API over a real HTTP server on a loopback port, driven by the
// project's HTTP client.

#include <gtest/gtest.h>

#include "common/http/client.h"
#include "common/http/server.h"
#include "server/api_test_fixture.h"

namespace ty::server {
namespace {

class ApiHttpTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    auto server = http::Server::Start(
        options, handler_,
        [](const http::Request&, std::unique_ptr<http::WebSocket> socket) { socket->Close(); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto client =
        http::Client::Create("http://127.0.0.1:" + std::to_string(server_->port()));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  http::Headers Auth(std::string_view token = kTestToken) {
    return {{"Authorization", "Bearer " + std::string(token)}};
  }

  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(ApiHttpTest, ServesHealthAndResources) {
  auto health = client_->Send("GET", "/api/v1/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);

  auto created = client_->Send("POST", "/api/v1/resourceGroups",
                               R"({"name": "rg", "location": "eastus"})", "application/json",
                               Auth());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->status, 201) << created->body;

  auto listed = client_->Send("GET", "/api/v1/resourceGroups", "", "application/json", Auth());
  ASSERT_TRUE(listed.ok());
  nlohmann::json body = nlohmann::json::parse(listed->body, nullptr, false);
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["name"], "rg");
}

TEST_F(ApiHttpTest, WrongTokenIsUnauthenticated) {
  auto response = client_->Send("GET", "/api/v1/resourceGroups", "", "application/json",
                                Auth("nope"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 401);
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  EXPECT_EQ(body["error"]["code"], "Unauthenticated");
}

TEST_F(ApiHttpTest, UnknownPathIsNotFound) {
  auto response = client_->Send("GET", "/api/v1/nothing", "", "application/json", Auth());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace ty::server
