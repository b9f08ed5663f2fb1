#include "cli/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_test_support.h"

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

// Verifies the stray setting of a mistyped extension create: a usage error
// that names the argument, suggests --configuration-settings and sends nothing.
TEST(RunnerTest, StraySettingIsUsageErrorAndSendsNothing) {
  ScriptedServer server;
  auto result = RunCliForTest(
      {"k8s-extension", "create", "--cluster-type", "connectedClusters", "--cluster-name", "c1",
       "--resource-group", "rg", "--name", "ml", "--extension-type", "Trainyard.MachineLearning",
       "--configuration-settings", "enableTraining=True", "installNvidiaDevicePlugin=False",
       "logAnalyticsWS=True", "--scope", "cluster",
       "volumePluginDir=/var/lib/kubelet/volumeplugins"},
      server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("'volumePluginDir=/var/lib/kubelet/volumeplugins'"));
  EXPECT_THAT(result.err, HasSubstr("--configuration-settings"));
  EXPECT_THAT(result.err, HasSubstr("trainyard k8s-extension create --help"));
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_THAT(server.requests(), IsEmpty());
}

TEST(RunnerTest, UnknownCommandSuggestsClosest) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "craete", "-n", "rg"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("unknown command 'group craete'"));
  EXPECT_THAT(result.err, HasSubstr("did you mean 'group create'?"));
}

TEST(RunnerTest, GroupAloneListsCommandsAsUsageError) {
  ScriptedServer server;
  auto result = RunCliForTest({"ml", "job"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("create"));
  EXPECT_THAT(result.err, HasSubstr("download"));
}

TEST(RunnerTest, HelpPrintsFlagsAndSucceeds) {
  ScriptedServer server;
  auto result = RunCliForTest({"k8s-extension", "create", "--help"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitSuccess);
  EXPECT_THAT(result.out, HasSubstr("--configuration-settings, --config KEY=VALUE"));
  EXPECT_THAT(result.out, HasSubstr("--output, -o FORMAT"));
  EXPECT_THAT(server.requests(), IsEmpty());
}

TEST(RunnerTest, TopLevelHelpListsGroups) {
  ScriptedServer server;
  auto result = RunCliForTest({}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitSuccess);
  EXPECT_THAT(result.out, HasSubstr("connectedk8s"));
  EXPECT_THAT(result.out, HasSubstr("k8s-extension"));
}

TEST(RunnerTest, MissingRequiredFlagIsUsageError) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "create", "--name", "rg"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("missing required flag --location (-l)"));
  EXPECT_THAT(server.requests(), IsEmpty());
}

TEST(RunnerTest, MissingResourceGroupWithoutDefaultIsUsageError) {
  ScriptedServer server;
  auto result = RunCliForTest({"ml", "workspace", "list"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("missing required flag --resource-group (-g)"));
  EXPECT_THAT(result.err, HasSubstr("trainyard login --resource-group"));
}

TEST(RunnerTest, ServerErrorPrintsMessageAndFieldExitsOne) {
  ScriptedServer server;
  server.On("POST", "/api/v1/resourceGroups", 400,
            R"({"error": {"code": "InvalidArgument", "field": "location",
                "message": "unsupported location 'mars-north'; supported: eastus, westus"}})");

  auto result = RunCliForTest({"group", "create", "-n", "rg", "-l", "mars-north"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err,
              HasSubstr("error: unsupported location 'mars-north'; supported: eastus, westus "
                        "(field 'location')"));
}

TEST(RunnerTest, FieldAlreadyInMessageIsNotRepeated) {
  ScriptedServer server;
  server.On("POST", "/api/v1/resourceGroups", 400,
            R"({"error": {"code": "InvalidArgument", "field": "name",
                "message": "name: 'a b' has an illegal character"}})");

  auto result = RunCliForTest({"group", "create", "-n", "a b", "-l", "eastus"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err, HasSubstr("error: name: 'a b' has an illegal character\n"));
}

TEST(RunnerTest, UnauthenticatedSuggestsLogin) {
  ScriptedServer server;
  server.On("GET", "/api/v1/resourceGroups?pageSize=1000", 401,
            R"({"error": {"code": "Unauthenticated", "message": "invalid bearer token"}})");

  auto result = RunCliForTest({"group", "list"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err, HasSubstr("invalid bearer token"));
  EXPECT_THAT(result.err, HasSubstr("trainyard login"));
}

TEST(RunnerTest, UnreachableServerNamesUrl) {
  ScriptedServer server;
  server.FailTransport(absl::UnavailableError("connect: Connection refused"));

  auto result = RunCliForTest({"group", "list"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err, HasSubstr("cannot reach the server at 'http://127.0.0.1:9'"));
  EXPECT_THAT(result.err, HasSubstr("Connection refused"));
}

TEST(RunnerTest, NoServerConfiguredTellsHowToLogIn) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "list"}, server,
                              {{"TRAINYARD_CONFIG", "/nonexistent/trainyard-config.json"}});

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err, HasSubstr("no server configured"));
  EXPECT_THAT(result.err, HasSubstr("trainyard up"));
}

TEST(RunnerTest, DeleteWithoutTerminalNeedsYes) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "delete", "-n", "rg"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("pass --yes (-y)"));
  for (const auto& request : server.requests()) EXPECT_NE(request.method, "DELETE");
}

TEST(RunnerTest, DeclinedPromptDeletesNothing) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "delete", "-n", "rg"}, server, kEnv, "n\n",
                              /*interactive=*/true);

  EXPECT_EQ(result.exit_code, kExitError);
  EXPECT_THAT(result.err, HasSubstr("delete resource group 'rg'? (y/N)"));
  for (const auto& request : server.requests()) EXPECT_NE(request.method, "DELETE");
}

TEST(RunnerTest, OutputChoiceIsValidated) {
  ScriptedServer server;
  auto result = RunCliForTest({"group", "list", "-o", "xml"}, server, kEnv);

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("invalid value 'xml' for --output (-o)"));
  EXPECT_THAT(result.err, Not(HasSubstr("cannot reach")));
}

}  // namespace
}  // namespace ty::cli
