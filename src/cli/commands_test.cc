// Request shaping of the commands, checked against a scripted server.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_support.h"
#include "cli/files.h"

namespace ty::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::RunCliForTest;
using testing::ScriptedServer;

const std::map<std::string, std::string> kEnv = {
    {"TRAINYARD_SERVER", "http://127.0.0.1:9"},
    {"TRAINYARD_TOKEN", "token"},
    {"TRAINYARD_CONFIG", "/nonexistent/trainyard-config.json"}};

const char* kExtensionPath = "/api/v1/resourceGroups/rg/connectedClusters/c1/extensions";

std::string Extension(int version) {
  nlohmann::json extension = {
      {"name", "ml"},
      {"version", version},
      {"properties",
       {{"extensionType", "Trainyard.MachineLearning"},
        {"scope", "cluster"},
        {"installState", "Installed"},
        {"statuses", {{{"component", "device-plugin"}, {"state", "Reused"},
                       {"message", "already present"}}}},
        {"provisionedResources", {{{"id", "/resourceGroups/rg/relayEndpoints/c1-relay"},
                                   {"type", "relayEndpoints"}, {"created", true}}}},
        {"configurationSettings", {{"enableTraining", "True"}}},
        {"configurationProtectedSettings", {"relayConnectionString"}}}}};
  return extension.dump();
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("cli_commands_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::filesystem::path folder_;
  ScriptedServer server_;
};

TEST_F(CommandsTest, ExtensionCreateSendsSettingsAsTyped) {
  server_.On("POST", kExtensionPath, 201, Extension(1));

  auto result = RunCliForTest(
      {"k8s-extension", "create", "-t", "connectedClusters", "-c", "c1", "-g", "rg", "-n", "ml",
       "--extension-type", "Trainyard.MachineLearning", "--scope", "cluster",
       "--configuration-settings", "enableTraining=true", "logAnalyticsWS=False",
       "--config-protected", "relayConnectionString=Endpoint=x;Key=y"},
      server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(server_.requests().size(), 1u);
  nlohmann::json body = nlohmann::json::parse(server_.requests()[0].body);
  EXPECT_EQ(body["name"], "ml");
  EXPECT_EQ(body["extensionType"], "Trainyard.MachineLearning");
  EXPECT_EQ(body["scope"], "cluster");
  EXPECT_EQ(body["configurationSettings"],
            nlohmann::json({{"enableTraining", "true"}, {"logAnalyticsWS", "False"}}));
  EXPECT_EQ(body["configurationProtectedSettings"]["relayConnectionString"], "Endpoint=x;Key=y");
  EXPECT_EQ(server_.requests()[0].Header("Authorization"), "Bearer token");
}

TEST_F(CommandsTest, ExtensionShowPrintsStateAndHidesSecrets) {
  server_.On("GET", std::string(kExtensionPath) + "/ml", 200, Extension(2));

  auto result = RunCliForTest(
      {"k8s-extension", "show", "-t", "connectedClusters", "-c", "c1", "-g", "rg", "-n", "ml"},
      server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("InstallState:   Installed"));
  EXPECT_THAT(result.out, HasSubstr("device-plugin  Reused  already present"));
  EXPECT_THAT(result.out, HasSubstr("/resourceGroups/rg/relayEndpoints/c1-relay"));
  EXPECT_THAT(result.out, HasSubstr("enableTraining  True"));
  EXPECT_THAT(result.out, HasSubstr("protected settings (values are never shown):\n"
                                    "  relayConnectionString\n"));
}

TEST_F(CommandsTest, ExtensionUpdateSendsVersionItRead) {
  std::string path = std::string(kExtensionPath) + "/ml";
  server_.On("GET", path, 200, Extension(7));
  server_.On("PATCH", path, 200, Extension(8));

  auto result = RunCliForTest({"k8s-extension", "update", "-t", "connectedClusters", "-c", "c1",
                               "-g", "rg", "-n", "ml", "--configuration-settings",
                               "enableTraining=False"},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(server_.requests().size(), 2u);
  nlohmann::json body = nlohmann::json::parse(server_.requests()[1].body);
  EXPECT_EQ(body["version"], 7);
  EXPECT_EQ(body["configurationSettings"], nlohmann::json({{"enableTraining", "False"}}));
  EXPECT_FALSE(body.contains("configurationProtectedSettings"));
}

TEST_F(CommandsTest, ExtensionDeleteListsRemainingResources) {
  std::string path = std::string(kExtensionPath) + "/ml";
  server_.On("DELETE", path, 200,
             R"({"deleted": ["/x/extensions/ml"], "remaining": ["/resourceGroups/rg/relayEndpoints/r"]})");
  server_.On("DELETE", path + "?deleteCreatedResources=true", 200,
             R"({"deleted": ["/x/extensions/ml", "/resourceGroups/rg/relayEndpoints/r"], "remaining": []})");

  auto kept = RunCliForTest({"k8s-extension", "delete", "-t", "connectedClusters", "-c", "c1",
                             "-g", "rg", "-n", "ml", "--yes"},
                            server_, kEnv);
  auto all = RunCliForTest({"k8s-extension", "delete", "-t", "connectedClusters", "-c", "c1", "-g",
                            "rg", "-n", "ml", "-y", "--delete-created-resources"},
                           server_, kEnv);

  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_THAT(kept.out, HasSubstr("remaining resources (kept"));
  EXPECT_THAT(kept.out, HasSubstr("/resourceGroups/rg/relayEndpoints/r"));
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("remaining resources: none"));
}

TEST_F(CommandsTest, ListFollowsPagesAndStopsAtMaxResults) {
  std::string base = "/api/v1/resourceGroups/rg/workspaces/ws/jobs";
  server_.On("GET", base + "?pageSize=1000", 200,
             R"({"items": [{"name": "j1"}, {"name": "j2"}], "nextPageToken": "p2"})");
  server_.On("GET", base + "?pageSize=1000&pageToken=p2", 200, R"({"items": [{"name": "j3"}]})");
  server_.On("GET", base + "?pageSize=2", 200,
             R"({"items": [{"name": "j1"}, {"name": "j2"}], "nextPageToken": "p2"})");

  auto all = RunCliForTest({"ml", "job", "list", "-g", "rg", "-w", "ws", "-o", "json"}, server_,
                           kEnv);
  auto two = RunCliForTest({"ml", "job", "list", "-g", "rg", "-w", "ws", "-r", "2", "-o", "json"},
                           server_, kEnv);

  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(nlohmann::json::parse(all.out).size(), 3u);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(nlohmann::json::parse(two.out).size(), 2u);
}

TEST_F(CommandsTest, MaxResultsMustBePositive) {
  auto result = RunCliForTest({"ml", "job", "list", "-g", "rg", "-w", "ws", "-r", "0"}, server_,
                              kEnv);

  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("invalid value '0' for --max-results (-r)"));
}

TEST_F(CommandsTest, ConnectWritesConnectionStringFileOwnerOnly) {
  server_.On("POST", "/api/v1/resourceGroups/rg/connectedClusters", 201,
             R"({"name": "c1", "properties": {"kind": "local"},
                 "connectionString": "Endpoint=http://x;Cluster=rg/c1;Credential=abc"})");
  std::filesystem::path file = folder_ / "c1.conn";

  auto result = RunCliForTest({"connectedk8s", "connect", "-n", "c1", "-g", "rg", "-l", "eastus",
                               "--kind", "local", "--connection-string-file", file.string()},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(*ReadFile(file), "Endpoint=http://x;Cluster=rg/c1;Credential=abc\n");
  struct stat info;
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_THAT(result.out, Not(HasSubstr("Credential=abc")));
  EXPECT_THAT(result.out, HasSubstr(file.string()));
}

TEST_F(CommandsTest, ConnectPrintsConnectionStringOnce) {
  server_.On("POST", "/api/v1/resourceGroups/rg/connectedClusters", 201,
             R"({"name": "c1", "connectionString": "Endpoint=http://x;Cluster=rg/c1;Credential=abc"})");

  auto result = RunCliForTest({"connectedk8s", "connect", "-n", "c1", "-g", "rg", "-l", "eastus"},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Credential=abc"));
  nlohmann::json body = nlohmann::json::parse(server_.requests()[0].body);
  EXPECT_EQ(body["kind"], "kubernetes");
}

TEST_F(CommandsTest, AttachAcceptsAzureResourceId) {
  server_.On("POST", "/api/v1/resourceGroups/rg/workspaces/ws/computes", 201, R"({"name": "k8s"})");

  auto result = RunCliForTest(
      {"ml", "compute", "attach", "-g", "rg", "-w", "ws", "-n", "k8s", "--type", "Kubernetes",
       "--resource-id",
       "/subscriptions/s/resourceGroups/crg/providers/Microsoft.Kubernetes/connectedClusters/c1"},
      server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json body = nlohmann::json::parse(server_.requests()[0].body);
  EXPECT_EQ(body, nlohmann::json({{"name", "k8s"}, {"clusterResourceGroup", "crg"},
                                  {"clusterName", "c1"}}));
}

TEST_F(CommandsTest, AttachNeedsCluster) {
  auto result = RunCliForTest({"ml", "compute", "attach", "-g", "rg", "-w", "ws", "-n", "k8s"},
                              server_, kEnv);

  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("missing required flag --cluster"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(CommandsTest, InstanceTypeBodyFromFlagsAndFile) {
  std::string path = "/api/v1/resourceGroups/rg/workspaces/ws/computes/k8s/instanceTypes";
  server_.On("POST", path, 201, R"({"name": "gpu"})");
  std::ofstream(folder_ / "it.yml") << "apiVersion: amlarc.azureml.com/v1alpha1\n"
                                       "kind: InstanceType\n"
                                       "metadata: {name: gpu}\n"
                                       "spec:\n"
                                       "  nodeSelector: {pool: a100}\n"
                                       "  resources:\n"
                                       "    requests: {cpu: \"4\", memory: 16Gi}\n";

  auto result = RunCliForTest({"ml", "compute", "instance-type", "create", "-g", "rg", "-w", "ws",
                               "--compute", "k8s", "--file", (folder_ / "it.yml").string(),
                               "--gpu-request", "1", "--gpu-limit", "1", "--node-selector",
                               "zone=a"},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json body = nlohmann::json::parse(server_.requests()[0].body);
  EXPECT_EQ(body["name"], "gpu");
  EXPECT_EQ(body["nodeSelector"], nlohmann::json({{"pool", "a100"}, {"zone", "a"}}));
  EXPECT_EQ(body["resources"]["requests"]["cpu"], "4");
  EXPECT_EQ(body["resources"]["requests"]["memory"], "16Gi");
  EXPECT_EQ(body["resources"]["requests"]["nvidia.com/gpu"], 1);
  EXPECT_EQ(body["resources"]["limits"]["nvidia.com/gpu"], 1);
}

TEST_F(CommandsTest, InstanceTypeListReadsProperties) {
  server_.On("GET", "/api/v1/resourceGroups/rg/workspaces/ws/computes/k8s/instanceTypes?pageSize=1000",
             200, R"({"items": [{"name": "small", "properties": {
                 "nodeSelector": {"pool": "cpu"},
                 "resources": {"requests": {"cpu": "500m", "memory": "512Mi"},
                               "limits": {"cpu": "1", "memory": "1Gi"}}}}]})");

  auto result = RunCliForTest({"ml", "compute", "instance-type", "list", "-g", "rg", "-w", "ws",
                               "--compute", "k8s"},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("small  500m/1  512Mi/1Gi        pool=cpu"));
}

TEST_F(CommandsTest, JobCreateUploadsCodeAndPassesSnapshot) {
  std::filesystem::create_directories(folder_ / "src");
  std::ofstream(folder_ / "src" / "train.py") << "print(1)\n";
  std::ofstream(folder_ / "job.yml") << "type: command\ncode: ./src\ncommand: python train.py\n";
  server_.On("POST", "/api/v1/blobs", 200, R"({"digest": "sha256:abc", "size": 10})");
  std::string jobs = "/api/v1/resourceGroups/rg/workspaces/ws/jobs";
  server_.On("POST", jobs + "?codeSnapshot=sha256%3Aabc", 201,
             R"({"name": "j1", "properties": {"status": "Queued"}})");

  auto result = RunCliForTest(
      {"ml", "job", "create", "-f", (folder_ / "job.yml").string(), "-g", "rg", "-w", "ws"},
      server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[0].content_type, "application/octet-stream");
  EXPECT_EQ(server_.requests()[1].content_type, "application/yaml");
  EXPECT_THAT(server_.requests()[1].body, HasSubstr("command: python train.py"));
  EXPECT_THAT(result.out, HasSubstr("Queued"));
}

TEST_F(CommandsTest, JobCreateRejectsOversizedCodeBeforeUpload) {
  std::filesystem::create_directories(folder_ / "src");
  std::ofstream(folder_ / "src" / "data.bin") << std::string(2 << 20, 'x');
  std::ofstream(folder_ / "job.yml") << "type: command\ncode: src\ncommand: ls\n";
  std::map<std::string, std::string> env = kEnv;
  env["TRAINYARD_MAX_CODE_MIB"] = "1";

  auto result = RunCliForTest(
      {"ml", "job", "create", "-f", (folder_ / "job.yml").string(), "-g", "rg", "-w", "ws"},
      server_, env);

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("2.0 MiB of files, over the 1.0 MiB limit"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(CommandsTest, DownloadRefusesEscapingPathAndWritesNothing) {
  std::string job = "/api/v1/resourceGroups/rg/workspaces/ws/jobs/j1";
  server_.On("GET", job + "/artifacts?pageSize=1000", 200,
             R"({"items": [{"path": "outputs/ok.txt", "size": 2}, {"path": "../evil", "size": 1}]})");

  auto result = RunCliForTest({"ml", "job", "download", "-n", "j1", "-g", "rg", "-w", "ws",
                               "--download-path", folder_.string()},
                              server_, kEnv);

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("refusing to download artifact '../evil'"));
  EXPECT_FALSE(std::filesystem::exists(folder_ / "outputs"));
}

TEST_F(CommandsTest, DownloadChecksDigestAndKeepsPaths) {
  std::string job = "/api/v1/resourceGroups/rg/workspaces/ws/jobs/j1";
  server_.On("GET", job + "/artifacts?pageSize=1000", 200,
             R"({"items": [{"path": "outputs/a b.txt", "size": 2,
                 "digest": "sha256:f465c3739385890c221dff1a05e578c6cae0d0430e46996d319db7439f884336"}]})");
  server_.On("GET", job + "/artifacts/outputs/a%20b.txt", 200, "/\n");

  auto result = RunCliForTest({"ml", "job", "download", "-n", "j1", "-g", "rg", "-w", "ws", "-p",
                               folder_.string()},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(*ReadFile(folder_ / "outputs" / "a b.txt"), "/\n");
}

TEST_F(CommandsTest, JobShowTableIncludesHistoryNodesMetrics) {
  std::string job = "/api/v1/resourceGroups/rg/workspaces/ws/jobs/j1";
  server_.On("GET", job, 200, R"({"name": "j1", "properties": {
      "status": "Failed", "error": "rank 1 exited with code 3",
      "history": [{"status": "Queued", "time": "t1", "message": "waiting for capacity"}],
      "nodes": [{"node": "n0", "rank": 1, "status": "Failed", "exitCode": 3}]}})");
  server_.On("GET", job + "/metrics?pageSize=1000", 200, R"({"items": [
      {"name": "loss", "latest": {"step": 19, "value": 0.12}, "min": 0.12, "max": 2.3,
       "count": 20}]})");

  auto result = RunCliForTest({"ml", "job", "show", "-n", "j1", "-g", "rg", "-w", "ws"}, server_,
                              kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Error:        rank 1 exited with code 3"));
  EXPECT_THAT(result.out, HasSubstr("Queued  t1    waiting for capacity"));
  EXPECT_THAT(result.out, HasSubstr("n0    1     Failed  3"));
  EXPECT_THAT(result.out, HasSubstr("loss    0.12    19    0.12  2.3  20"));
}

TEST_F(CommandsTest, JobShowHistoryNamesRanks) {
  std::string job = "/api/v1/resourceGroups/rg/workspaces/ws/jobs/j1";
  server_.On("GET", job, 200, R"({"name": "j1", "properties": {"status": "Running",
      "history": [{"status": "Starting", "time": "t1", "message": ""},
                  {"status": "Running", "time": "t2", "message": "", "rank": 1}],
      "nodes": [{"node": "host/0", "rank": 1, "status": "Running"}]}})");
  server_.On("GET", job + "/metrics?pageSize=1000", 200, R"({"items": []})");

  auto result = RunCliForTest({"ml", "job", "show", "-n", "j1", "-g", "rg", "-w", "ws"}, server_,
                              kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Status    Rank  Time"));
  EXPECT_THAT(result.out, HasSubstr("Starting        t1"));
  EXPECT_THAT(result.out, HasSubstr("Running   1     t2"));
  EXPECT_THAT(result.out, HasSubstr("host/0  1     Running"));
}

TEST_F(CommandsTest, JobLogsRankFiltersAndChecksRange) {
  std::string job = "/api/v1/resourceGroups/rg/workspaces/ws/jobs/j1";
  server_.On("GET", job, 200, R"({"name": "j1", "properties": {"status": "Completed",
      "spec": {"command": "x", "resources": {"instance_count": 2},
               "distribution": {"type": "pytorch", "process_count_per_instance": 2}}}})");
  server_.On("GET", job + "/logs?after=0&wait=0&rank=3", 200,
             R"({"lines": [{"seq": 4, "node": "n1", "rank": 3, "text": "from-three"}],
                 "nextSeq": 4, "complete": true})");
  server_.On("GET", job + "/logs?after=4&wait=0&rank=3", 200,
             R"({"lines": [], "nextSeq": 4, "complete": true})");

  auto result = RunCliForTest({"ml", "job", "logs", "-n", "j1", "-g", "rg", "-w", "ws", "--rank",
                               "3"},
                              server_, kEnv);

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "from-three\n");

  const std::vector<std::pair<std::string, std::string>> kBadRanks = {
      {"4", "--rank 4 is out of range: the job runs 4 processes, ranks 0 to 3"},
      {"two", "invalid --rank 'two': use a whole number from 0 to 3"},
  };
  for (const auto& [rank, message] : kBadRanks) {
    auto rejected = RunCliForTest({"ml", "job", "logs", "-n", "j1", "-g", "rg", "-w", "ws",
                                   "--rank", rank},
                                  server_, kEnv);
    EXPECT_NE(rejected.exit_code, 0) << rank;
    EXPECT_THAT(rejected.err, HasSubstr(message)) << rank;
  }
}

TEST_F(CommandsTest, LoginVerifiesTokenAndSavesConfig) {
  server_.On("GET", "/api/v1/locations", 200, R"({"items": ["eastus"]})");
  std::filesystem::path token = folder_ / "admin-token";
  std::ofstream(token) << "tok123\n";
  std::filesystem::path config = folder_ / "config.json";

  auto result = RunCliForTest({"login", "--server", "http://127.0.0.1:9/", "--token-file",
                               token.string(), "-g", "rg", "-w", "ws"},
                              server_, {{"TRAINYARD_CONFIG", config.string()}});

  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_.requests()[0].Header("Authorization"), "Bearer tok123");
  nlohmann::json saved = nlohmann::json::parse(*ReadFile(config));
  EXPECT_EQ(saved["server"], "http://127.0.0.1:9");
  EXPECT_EQ(saved["token"], "tok123");
  EXPECT_EQ(saved["resourceGroup"], "rg");
  EXPECT_EQ(saved["workspace"], "ws");
  EXPECT_THAT(result.out, Not(HasSubstr("tok123")));

  // The defaults now fill in --resource-group and --workspace.
  server_.On("GET", "/api/v1/resourceGroups/rg/workspaces/ws/jobs?pageSize=1000", 200,
             R"({"items": []})");
  auto listed = RunCliForTest({"ml", "job", "list"}, server_, {{"TRAINYARD_CONFIG", config.string()}});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
}

TEST_F(CommandsTest, LoginWithRejectedTokenSavesNothing) {
  server_.On("GET", "/api/v1/locations", 401,
             R"({"error": {"code": "Unauthenticated", "message": "invalid bearer token"}})");
  std::filesystem::path config = folder_ / "config.json";

  auto result = RunCliForTest({"login", "--server", "http://127.0.0.1:9", "--token", "bad"},
                              server_, {{"TRAINYARD_CONFIG", config.string()}});

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("invalid bearer token"));
  EXPECT_FALSE(std::filesystem::exists(config));
}

}  // namespace
}  // namespace ty::cli
