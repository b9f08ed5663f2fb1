#pragma once

// A test fixture that serves the REST API through the real router and a real
// SQLite store in a temporary folder, without sockets. Tests send requests
// with Call() and act as the agent through the store functions the relay
// uses.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/extension.h"
#include "common/http/message.h"
#include "common/http/router.h"
#include "server/api_server.h"
#include "server/blob_store.h"
#include "server/server_context.h"
#include "store/clusters.h"
#include "store/extensions.h"
#include "store/schema.h"
#include "store/temp_dir.h"

namespace ty::server {

inline constexpr std::string_view kTestToken = "test-admin-token";

struct ApiResult {
  int status = 0;
  nlohmann::json body;
  std::string raw;

  // The error code and field of an error body, "" when absent.
  std::string code() const { return body["error"].value("code", ""); }
  std::string field() const { return body["error"].value("field", ""); }
  std::string message() const { return body["error"].value("message", ""); }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = store::OpenStore((dir_.path() / "store.db").string());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    blobs_ = std::make_unique<BlobStore>(dir_.path() / "blobs");
    context_ = std::make_unique<ServerContext>(ServerContext{
        *database_, notifier_, *blobs_, {{"eastus", "westeurope", "local"}, "http://127.0.0.1:1"}});
    router_ = BuildApiRouter(*context_);
    handler_ = MakeApiHandler(*router_, std::string(kTestToken));
  }

  // Sends one request through auth and the router. `target` may carry a
  // query string.
  ApiResult Call(std::string_view method, std::string_view target, std::string_view body = "",
                 std::string_view token = kTestToken,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request request;
    request.method = std::string(method);
    request.target = std::string(target);
    size_t question = target.find('?');
    request.path = http::PercentDecode(target.substr(0, question));
    if (question != std::string_view::npos) {
      std::string_view query = target.substr(question + 1);
      while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        size_t equals = pair.find('=');
        request.query[http::PercentDecode(pair.substr(0, equals))] =
            equals == std::string_view::npos ? "" : http::PercentDecode(pair.substr(equals + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
    }
    if (!token.empty()) request.headers["authorization"] = "Bearer " + std::string(token);
    for (auto& [name, value] : headers) request.headers[name] = value;
    request.body = std::string(body);

    http::Response response = handler_(request);
    ApiResult result;
    result.status = response.status;
    result.raw = response.body;
    result.body = nlohmann::json::parse(response.body, nullptr, false);
    return result;
  }

  ApiResult Post(std::string_view target, const nlohmann::json& body) {
    return Call("POST", target, body.dump());
  }

  // Creates group "rg", cluster "c1" and workspace "ws", all in `location`.
  void CreateBasics(std::string_view location = "eastus") {
    ASSERT_EQ(Post("/api/v1/resourceGroups", {{"name", "rg"}, {"location", location}}).status, 201);
    ApiResult cluster = Post("/api/v1/resourceGroups/rg/connectedClusters",
                             {{"name", "c1"}, {"location", location}, {"kind", "local"}});
    ASSERT_EQ(cluster.status, 201) << cluster.raw;
    connection_string_ = cluster.body.value("connectionString", "");
    ASSERT_EQ(Post("/api/v1/resourceGroups/rg/workspaces", {{"name", "ws"}, {"location", location}})
                  .status,
              201);
  }

  // Creates extension `name` on c1 with `settings` and, when `installed`,
  // reports it Installed as the agent would.
  void CreateExtension(const nlohmann::json& settings, bool installed, std::string name = "ml") {
    ApiResult created =
        Post(std::string(kClusterPath) + "/extensions",
             {{"name", name},
              {"extensionType", api::kExtensionType},
              {"scope", "cluster"},
              {"configurationSettings", settings}});
    ASSERT_EQ(created.status, 201) << created.raw;
    if (installed) ReportInstalled(name);
  }

  void ReportInstalled(std::string_view name = "ml") {
    ASSERT_TRUE(store::UpdateExtensionStatus(*database_, kClusterId, name,
                                             api::InstallState::kInstalled,
                                             nlohmann::json::array())
                    .ok());
  }

  // Reports the capacity of c1 as the agent's heartbeat would.
  void ReportCapacity(const nlohmann::json& capacity) {
    ASSERT_TRUE(store::UpdateClusterHeartbeat(*database_, kClusterId, capacity, true, 1000, "test")
                    .ok());
  }

  // One node with `cpus` CPUs, `memory_gib` GiB and `gpus` GPUs.
  static nlohmann::json Capacity(double cpus, int64_t memory_gib, int gpus) {
    nlohmann::json gpu_list = nlohmann::json::array();
    for (int i = 0; i < gpus; ++i) gpu_list.push_back({{"index", i}, {"model", "T4"}});
    return {{"nodes",
             {{{"name", "host"}, {"cpus", cpus}, {"memoryBytes", memory_gib << 30},
               {"gpus", gpu_list}}}}};
  }

  // Attaches c1 to ws as compute "k8s".
  ApiResult Attach() {
    return Post(std::string(kWorkspacePath) + "/computes",
                {{"name", "k8s"}, {"clusterName", "c1"}});
  }

  // Every row of every table, to show that a rejected request changed nothing.
  std::string DumpStore() {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    std::vector<std::string> tables;
    {
      auto names = transaction->Prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      EXPECT_TRUE(names.ok());
      while (*names->Step()) tables.push_back(names->Text(0));
    }
    std::string dump;
    for (const std::string& table : tables) {
      auto rows = transaction->Prepare("SELECT * FROM \"" + table + "\" ORDER BY 1");
      EXPECT_TRUE(rows.ok());
      dump += "table " + table + "\n";
      while (*rows->Step()) {
        for (int column = 0; column < rows->ColumnCount(); ++column) {
          dump += (rows->IsNull(column) ? "NULL" : rows->Text(column)) + "|";
        }
        dump += "\n";
      }
    }
    return dump;
  }

  static constexpr std::string_view kClusterPath = "/api/v1/resourceGroups/rg/connectedClusters/c1";
  static constexpr std::string_view kClusterId = "/resourceGroups/rg/connectedClusters/c1";
  static constexpr std::string_view kWorkspacePath = "/api/v1/resourceGroups/rg/workspaces/ws";

  store::TempDir dir_;
  std::unique_ptr<store::Database> database_;
  store::Notifier notifier_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<http::Router> router_;
  http::Handler handler_;
  std::string connection_string_;
};

}  // namespace ty::server
