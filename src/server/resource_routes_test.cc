// Routes of groups, clusters, extensions, workspaces and computes, through
// the real router and store.

#include <gtest/gtest.h>

#include "server/api_test_fixture.h"

namespace ty::server {
namespace {

using ResourceRoutesTest = ApiTest;

TEST_F(ResourceRoutesTest, HealthNeedsNoToken) {
  ApiResult health = Call("GET", "/api/v1/health", "", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body["status"], "ok");
  EXPECT_EQ(Call("GET", "/api/v1/locations", "", "").status, 401);
}

TEST_F(ResourceRoutesTest, GroupLifecycle) {
  ApiResult created = Post("/api/v1/resourceGroups", {{"name", "rg"}, {"location", "EastUS"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["id"], "/resourceGroups/rg");
  EXPECT_EQ(created.body["location"], "eastus");
  EXPECT_EQ(created.body["version"], 1);

  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg").body["name"], "rg");
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups").body["items"].size(), 1u);
  EXPECT_EQ(Call("DELETE", "/api/v1/resourceGroups/rg").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg").status, 404);
}

TEST_F(ResourceRoutesTest, ListPagesWithTokens) {
  for (std::string name : {"a", "b", "c"}) {
    ASSERT_EQ(Post("/api/v1/resourceGroups", {{"name", name}, {"location", "eastus"}}).status, 201);
  }
  ApiResult first = Call("GET", "/api/v1/resourceGroups?pageSize=2");
  ASSERT_EQ(first.body["items"].size(), 2u);
  std::string token = first.body["nextPageToken"];
  ApiResult second = Call("GET", "/api/v1/resourceGroups?pageSize=2&pageToken=" + token);
  ASSERT_EQ(second.body["items"].size(), 1u);
  EXPECT_EQ(second.body["items"][0]["name"], "c");
  EXPECT_FALSE(second.body.contains("nextPageToken"));
}

TEST_F(ResourceRoutesTest, ClusterReturnsConnectionStringOnce) {
  CreateBasics();
  EXPECT_EQ(connection_string_.rfind("Endpoint=http://127.0.0.1:1;Cluster=rg/c1;Credential=", 0),
            0u)
      << connection_string_;
  ApiResult shown = Call("GET", std::string(kClusterPath));
  EXPECT_FALSE(shown.body.contains("connectionString"));
  EXPECT_EQ(shown.body["properties"]["connectivityStatus"], "Connecting");
  EXPECT_EQ(shown.raw.find("credential"), std::string::npos) << shown.raw;

  std::string credential = connection_string_.substr(connection_string_.rfind('=') + 1);
  EXPECT_TRUE(store::AuthenticateCluster(*database_, "rg/c1", credential).ok());
  EXPECT_EQ(store::AuthenticateCluster(*database_, "rg/c1", "0" + credential).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(ResourceRoutesTest, ExtensionProvisionsRelayAndQueue) {
  CreateBasics();
  ApiResult created = Post(std::string(kClusterPath) + "/extensions",
                           {{"name", "ml"},
                            {"extensionType", "Trainyard.MachineLearning"},
                            {"scope", "cluster"},
                            {"configurationSettings", {{"enableTraining", "true"}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const nlohmann::json& properties = created.body["properties"];
  EXPECT_EQ(properties["installState"], "Pending");
  EXPECT_EQ(properties["configurationSettings"]["enableTraining"], "True");
  EXPECT_EQ(properties["configurationSettings"]["installBlobfuseFlexvol"], "True");
  ASSERT_EQ(properties["provisionedResources"].size(), 2u);
  EXPECT_TRUE(properties["provisionedResources"][0]["created"]);

  ApiResult relays = Call("GET", "/api/v1/resourceGroups/rg/relayEndpoints");
  ASSERT_EQ(relays.body["items"].size(), 1u);
  std::string relay_name = relays.body["items"][0]["name"];
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg/messageQueues").body["items"].size(), 1u);

  // In use by the extension, so the relay endpoint cannot go on its own.
  ApiResult refused = Call("DELETE", "/api/v1/resourceGroups/rg/relayEndpoints/" + relay_name);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.code(), "FailedPrecondition");
}

TEST_F(ResourceRoutesTest, ExtensionKeepsProtectedValuesSecret) {
  CreateBasics();
  ApiResult created = Post(
      std::string(kClusterPath) + "/extensions",
      {{"name", "ml"},
       {"extensionType", "Trainyard.MachineLearning"},
       {"configurationProtectedSettings",
        {{"relayConnectionString", "Endpoint=sb://relay.example/;SharedAccessKey=s3cr3t"}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.raw.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(created.body["properties"]["configurationProtectedSettings"],
            nlohmann::json::array({"relayConnectionString"}));
  // The existing relay is recorded as not created, and only a queue is made.
  EXPECT_FALSE(created.body["properties"]["provisionedResources"][0]["created"]);
  EXPECT_EQ(Call("GET", "/api/v1/resourceGroups/rg/relayEndpoints").body["items"].size(), 0u);
  EXPECT_EQ(Call("GET", std::string(kClusterPath) + "/extensions/ml").raw.find("s3cr3t"),
            std::string::npos);
}

TEST_F(ResourceRoutesTest, StringAndJsonBooleansStoreTheSame) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}, {"logAnalyticsWS", false}}, false, "one");
  ApiResult first = Call("GET", std::string(kClusterPath) + "/extensions/one");
  ASSERT_EQ(Call("DELETE", std::string(kClusterPath) + "/extensions/one").status, 200);
  CreateExtension({{"enableTraining", true}}, false, "two");
  ApiResult second = Call("GET", std::string(kClusterPath) + "/extensions/two");
  EXPECT_EQ(first.body["properties"]["configurationSettings"],
            second.body["properties"]["configurationSettings"]);
}

TEST_F(ResourceRoutesTest, ExtensionDeleteKeepsCreatedResourcesUnlessAsked) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, false, "keep");
  ApiResult kept = Call("DELETE", std::string(kClusterPath) + "/extensions/keep");
  ASSERT_EQ(kept.status, 200) << kept.raw;
  EXPECT_EQ(kept.body["remaining"].size(), 2u);
  EXPECT_EQ(kept.body["deleted"], nlohmann::json::array({std::string(kClusterId) +
                                                         "/extensions/keep"}));

  CreateExtension({{"enableTraining", "True"}}, false, "gone");
  ApiResult gone =
      Call("DELETE", std::string(kClusterPath) + "/extensions/gone?deleteCreatedResources=true");
  ASSERT_EQ(gone.status, 200);
  EXPECT_EQ(gone.body["remaining"].size(), 0u);
  EXPECT_EQ(gone.body["deleted"].size(), 3u);
}

TEST_F(ResourceRoutesTest, ConnectionStringReusesOwnRelay) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, false, "first");
  ASSERT_EQ(Call("DELETE", std::string(kClusterPath) + "/extensions/first").status, 200);

  ApiResult created = Post(
      std::string(kClusterPath) + "/extensions",
      {{"name", "second"},
       {"extensionType", "Trainyard.MachineLearning"},
       {"configurationProtectedSettings",
        {{"relayConnectionString",
          "Endpoint=http://127.0.0.1:1/api/v1/relay;SharedAccessKey=k;EntityPath=c1-first-relay"}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const nlohmann::json& relay = created.body["properties"]["provisionedResources"][0];
  EXPECT_EQ(relay["id"], "/resourceGroups/rg/relayEndpoints/c1-first-relay");
  EXPECT_FALSE(relay["created"]);
  EXPECT_EQ(Call("DELETE", "/api/v1/resourceGroups/rg/relayEndpoints/c1-first-relay").status, 409);
}

TEST_F(ResourceRoutesTest, ExtensionDeleteWaitsForConnectedAgent) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, true);
  ReportCapacity(Capacity(4, 8, 0));
  ApiResult deleting = Call("DELETE", std::string(kClusterPath) + "/extensions/ml");
  ASSERT_EQ(deleting.status, 200);
  EXPECT_EQ(deleting.body["deleting"].size(), 1u);
  EXPECT_EQ(Call("GET", std::string(kClusterPath) + "/extensions/ml").body["properties"]
                ["installState"],
            "Deleting");
  ASSERT_TRUE(store::FinishExtensionDeletion(*database_, kClusterId, "ml").ok());
  EXPECT_EQ(Call("GET", std::string(kClusterPath) + "/extensions/ml").status, 404);
}

TEST_F(ResourceRoutesTest, PatchMergesSettingsAndChecksVersion) {
  CreateBasics();
  CreateExtension({{"logAnalyticsWS", "True"}}, true);
  std::string path = std::string(kClusterPath) + "/extensions/ml";
  ApiResult patched =
      Call("PATCH", path, R"({"configurationSettings": {"enableTraining": "True"}, "version": 2})");
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(patched.body["properties"]["configurationSettings"]["logAnalyticsWS"], "True");
  EXPECT_EQ(patched.body["properties"]["configurationSettings"]["enableTraining"], "True");
  // Changed settings wait for the agent to apply them again.
  EXPECT_EQ(patched.body["properties"]["installState"], "Pending");

  ApiResult stale = Call("PATCH", path, R"({"configurationSettings": {}})", kTestToken,
                         {{"if-match", "2"}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.code(), "Aborted");
}

TEST_F(ResourceRoutesTest, DeleteRefusedWhileDependantsExist) {
  CreateBasics();
  ApiResult group = Call("DELETE", "/api/v1/resourceGroups/rg");
  EXPECT_EQ(group.status, 409);
  EXPECT_NE(group.message().find("connected cluster 'c1'"), std::string::npos) << group.raw;
  EXPECT_NE(group.message().find("workspace 'ws'"), std::string::npos);

  CreateExtension({{"enableTraining", "True"}}, true);
  ASSERT_EQ(Attach().status, 201);
  ApiResult cluster = Call("DELETE", std::string(kClusterPath));
  EXPECT_EQ(cluster.status, 409);
  EXPECT_NE(cluster.message().find("compute 'k8s'"), std::string::npos) << cluster.raw;
  ApiResult workspace = Call("DELETE", std::string(kWorkspacePath));
  EXPECT_EQ(workspace.status, 409);

  ASSERT_EQ(Call("DELETE", std::string(kWorkspacePath) + "/computes/k8s").status, 200);
  EXPECT_EQ(Call("DELETE", std::string(kWorkspacePath)).status, 200);
}

TEST_F(ResourceRoutesTest, AttachNeedsTrainingEnabled) {
  CreateBasics();
  CreateExtension(nlohmann::json::object(), true);
  ApiResult refused = Attach();
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.field(), "clusterName");
  EXPECT_NE(refused.message().find("enableTraining=True"), std::string::npos) << refused.raw;
  EXPECT_NE(refused.message().find("trainyard k8s-extension update --cluster-type "
                                   "connectedClusters --cluster-name c1 --resource-group rg "
                                   "--name ml --configuration-settings enableTraining=True"),
            std::string::npos)
      << refused.raw;
}

TEST_F(ResourceRoutesTest, AttachWaitsForInstalledExtension) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, false);
  ApiResult pending = Attach();
  EXPECT_EQ(pending.status, 409);
  EXPECT_NE(pending.message().find("Pending"), std::string::npos) << pending.raw;
  ReportInstalled();
  ApiResult attached = Attach();
  ASSERT_EQ(attached.status, 201) << attached.raw;
  EXPECT_EQ(attached.body["properties"]["namespace"], "default");
  ApiResult types = Call("GET", std::string(kWorkspacePath) + "/computes/k8s/instanceTypes");
  ASSERT_EQ(types.body["items"].size(), 1u);
  EXPECT_EQ(types.body["items"][0]["name"], "defaultinstancetype");
}

TEST_F(ResourceRoutesTest, AttachRejectsLocationMismatch) {
  ASSERT_EQ(Post("/api/v1/resourceGroups", {{"name", "rg"}, {"location", "eastus"}}).status, 201);
  ASSERT_EQ(Post("/api/v1/resourceGroups/rg/connectedClusters",
                 {{"name", "c1"}, {"location", "eastus"}})
                .status,
            201);
  ASSERT_EQ(Post("/api/v1/resourceGroups/rg/workspaces", {{"name", "ws"}, {"location", "westeurope"}})
                .status,
            201);
  CreateExtension({{"enableTraining", "True"}}, true);
  ApiResult refused = Attach();
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.message().find("eastus"), std::string::npos) << refused.raw;
  EXPECT_NE(refused.message().find("westeurope"), std::string::npos);
}

TEST_F(ResourceRoutesTest, AttachTakesAgentNamespace) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, true);
  ASSERT_TRUE(store::UpdateClusterHeartbeat(*database_, kClusterId, std::nullopt, true, 1000,
                                            "test", std::string("team-a"))
                  .ok());

  ApiResult attached = Attach();

  ASSERT_EQ(attached.status, 201) << attached.raw;
  EXPECT_EQ(attached.body["properties"]["namespace"], "team-a");
}

TEST_F(ResourceRoutesTest, AttachRejectsNamespaceAgentDoesNotServe) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, true);
  ASSERT_TRUE(store::UpdateClusterHeartbeat(*database_, kClusterId, std::nullopt, true, 1000,
                                            "test", std::string("trainyard"))
                  .ok());
  std::string before = DumpStore();

  ApiResult refused = Post(std::string(kWorkspacePath) + "/computes",
                           {{"name", "k8s"}, {"clusterName", "c1"}, {"namespace", "team-a"}});

  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.field(), "namespace");
  EXPECT_NE(refused.message().find("namespace 'team-a'"), std::string::npos) << refused.raw;
  EXPECT_NE(refused.message().find("--namespace trainyard"), std::string::npos) << refused.raw;
  EXPECT_EQ(DumpStore(), before);
}

TEST_F(ResourceRoutesTest, LocalAgentClearsNamespace) {
  CreateBasics();
  CreateExtension({{"enableTraining", "True"}}, true);
  ASSERT_TRUE(store::UpdateClusterHeartbeat(*database_, kClusterId, std::nullopt, true, 1000,
                                            "test", std::string("trainyard"))
                  .ok());
  ASSERT_TRUE(store::UpdateClusterHeartbeat(*database_, kClusterId, std::nullopt, true, 2000,
                                            "test", std::string())
                  .ok());

  ApiResult attached = Post(std::string(kWorkspacePath) + "/computes",
                            {{"name", "k8s"}, {"clusterName", "c1"}, {"namespace", "team-a"}});

  ASSERT_EQ(attached.status, 201) << attached.raw;
  EXPECT_EQ(attached.body["properties"]["namespace"], "team-a");
}

}  // namespace
}  // namespace ty::server
