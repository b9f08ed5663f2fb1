#pragma once

// A real API server on loopback for the tracking tests: the store in a
// temporary folder, every route, bearer authentication with the admin
// token "admin-token" and job tokens, and a client to call it.

#include <concepts>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.h"
#include "common/http/server.h"
#include "server/api_server.h"
#include "server/blob_store.h"
#include "server/server_context.h"
#include "store/job_tokens.h"
#include "store/jobs.h"
#include "store/notifier.h"
#include "store/resources.h"
#include "store/schema.h"
#include "store/temp_dir.h"
#include "store/tracking_runs.h"

namespace ty::server {

inline constexpr char kAdminToken[] = "admin-token";

struct CallResult {
  int status = 0;
  nlohmann::json body;
};

class TrackingServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = store::OpenStore((dir_.path() / "store.db").string());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    blobs_ = std::make_unique<BlobStore>(dir_.path() / "blobs");
    context_ = std::make_unique<ServerContext>(
        ServerContext{*database_, notifier_, *blobs_, ServerSettings{}});
    router_ = BuildApiRouter(*context_);
    auto server = http::Server::Start({}, MakeApiHandler(*router_, kAdminToken, database_.get()),
                                      nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto client = http::Client::Create("http://127.0.0.1:" + std::to_string(server_->port()));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    CreateWorkspace();
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  // Sends a request with `token` and returns the status and the JSON body
  // (null when the body is not JSON).
  CallResult Call(std::string_view method, std::string_view target, std::string_view body = {},
                  std::string_view token = kAdminToken) {
    http::Headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
    auto response = client_->Send(method, target, body, "application/json", headers);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return {response->status, nlohmann::json::parse(response->body, nullptr, false)};
  }

  template <typename Json>
    requires std::same_as<Json, nlohmann::json>
  CallResult Call(std::string_view method, std::string_view target, const Json& body,
                  std::string_view token = kAdminToken) {
    return Call(method, target, std::string_view(body.dump()), token);
  }

  // Inserts a queued job in rg/ws and returns its tracking run.
  store::TrackingRun SubmitJob(std::string_view name, std::string_view experiment = "") {
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    store::JobRecord job;
    job.workspace_id = workspace_id_;
    job.resource_group = "rg";
    job.workspace = "ws";
    job.name = std::string(name);
    job.compute = "local";
    job.cluster_id = "/resourceGroups/rg/connectedClusters/c1";
    job.experiment = std::string(experiment);
    EXPECT_TRUE(store::InsertJob(*transaction, job).ok());
    auto run = store::EnsureJobRun(*transaction, job);
    EXPECT_TRUE(run.ok()) << run.status();
    EXPECT_TRUE(transaction->Commit().ok());
    return *run;
  }

  std::string IssueToken(const store::TrackingRun& run) {
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    auto token = store::IssueJobToken(*transaction, run.key);
    EXPECT_TRUE(token.ok());
    EXPECT_TRUE(transaction->Commit().ok());
    return *token;
  }

  static std::string RunPath(const store::TrackingRun& run) { return "/api/v1/runs/" + run.run_id; }
  static std::string JobPath(std::string_view job) {
    return "/api/v1/resourceGroups/rg/workspaces/ws/jobs/" + std::string(job);
  }

  store::TempDir dir_;
  std::unique_ptr<store::Database> database_;
  store::Notifier notifier_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Client> client_;
  std::string workspace_id_;

 private:
  void CreateWorkspace() {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    store::Resource group;
    group.type = store::kResourceGroups;
    group.name = "rg";
    group.resource_group = "rg";
    ASSERT_TRUE(store::InsertResource(*transaction, group).ok());
    store::Resource workspace;
    workspace.type = store::kWorkspaces;
    workspace.parent_id = group.id;
    workspace.resource_group = "rg";
    workspace.name = "ws";
    ASSERT_TRUE(store::InsertResource(*transaction, workspace).ok());
    workspace_id_ = workspace.id;
    ASSERT_TRUE(transaction->Commit().ok());
  }
};

}  // namespace ty::server
