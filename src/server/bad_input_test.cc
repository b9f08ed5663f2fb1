// A table of bad requests: each must fail with the documented status, error
// code and field, and leave every table of the store exactly as it was.

#include <gtest/gtest.h>

#include "server/api_test_fixture.h"

namespace ty::server {
namespace {

struct BadRequest {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string code;
  std::string field;  // "" when the error names no field
  std::string token = std::string(kTestToken);
  std::vector<std::pair<std::string, std::string>> headers = {};
};

const std::string kExtensions = "/api/v1/resourceGroups/rg/connectedClusters/c1/extensions";

std::vector<BadRequest> Cases() {
  return {
      {"UnknownSetting", "POST", kExtensions,
       R"({"name": "ml2", "extensionType": "Trainyard.MachineLearning",
           "configurationSettings": {"enableTrainning": "True"}})",
       400, "InvalidArgument", "configurationSettings.enableTrainning"},
      {"MalformedBoolean", "POST", kExtensions,
       R"({"name": "ml2", "extensionType": "Trainyard.MachineLearning",
           "configurationSettings": {"enableTraining": "yes please"}})",
       400, "InvalidArgument", "configurationSettings.enableTraining"},
      {"SecretAsPublicSetting", "POST", kExtensions,
       R"({"name": "ml2", "extensionType": "Trainyard.MachineLearning",
           "configurationSettings": {"relayConnectionString": "Endpoint=sb://x/;Key=k"}})",
       400, "InvalidArgument", "configurationSettings.relayConnectionString"},
      {"UnknownExtensionType", "POST", kExtensions,
       R"({"name": "ml2", "extensionType": "Other.Thing"})", 400, "InvalidArgument",
       "extensionType"},
      {"BadNameCharacters", "POST", "/api/v1/resourceGroups",
       R"({"name": "bad name!", "location": "eastus"})", 400, "InvalidArgument", "name"},
      {"UnknownLocation", "POST", "/api/v1/resourceGroups/rg/connectedClusters",
       R"({"name": "c2", "location": "mars-north"})", 400, "InvalidArgument", "location"},
      {"UnknownLocationWorkspace", "POST", "/api/v1/resourceGroups/rg/workspaces",
       R"({"name": "ws2", "location": "mars-north"})", 400, "InvalidArgument", "location"},
      {"DuplicateName", "POST", "/api/v1/resourceGroups/rg/workspaces",
       R"({"name": "ws", "location": "eastus"})", 409, "AlreadyExists", "name"},
      {"UnknownBodyField", "POST", "/api/v1/resourceGroups",
       R"({"name": "rg2", "location": "eastus", "locaton": "x"})", 400, "InvalidArgument",
       "locaton"},
      {"MissingName", "POST", "/api/v1/resourceGroups", R"({"location": "eastus"})", 400,
       "InvalidArgument", "name"},
      {"OverSizeBody", "POST", "/api/v1/resourceGroups",
       R"({"name": "rg2", "location": "eastus", "pad": ")" + std::string(2 << 20, 'x') + "\"}",
       413, "ResourceExhausted", ""},
      {"MalformedJson", "POST", "/api/v1/resourceGroups", R"({"name": "rg2", )", 400,
       "InvalidArgument", ""},
      {"WrongToken", "POST", "/api/v1/resourceGroups", R"({"name": "rg2", "location": "eastus"})",
       401, "Unauthenticated", "", "wrong-token"},
      {"MissingToken", "GET", "/api/v1/resourceGroups", "", 401, "Unauthenticated", "", ""},
      {"StaleVersion", "PATCH", kExtensions + "/ml",
       R"({"configurationSettings": {"logAnalyticsWS": "True"}, "version": 99})", 412,
       "Aborted", "version"},
      {"StaleIfMatch", "PATCH", kExtensions + "/ml",
       R"({"configurationSettings": {"logAnalyticsWS": "True"}})", 412, "Aborted", "version",
       std::string(kTestToken), {{"if-match", "99"}}},
      {"BadPageSize", "GET", "/api/v1/resourceGroups?pageSize=0", "", 400, "InvalidArgument",
       "pageSize"},
      {"ForeignPageToken", "GET", "/api/v1/resourceGroups?pageToken=xyz", "", 400,
       "InvalidArgument", "pageToken"},
      {"BadDeleteFlag", "DELETE", kExtensions + "/ml?deleteCreatedResources=maybe", "", 400,
       "InvalidArgument", "deleteCreatedResources"},
      {"MalformedJobYaml", "POST", "/api/v1/resourceGroups/rg/workspaces/ws/jobs",
       "command: [unclosed\n", 400, "InvalidArgument", ""},
      {"UnknownJobField", "POST", "/api/v1/resourceGroups/rg/workspaces/ws/jobs",
       "command: echo hi\ncompute: k8s\ncommnd: x\n", 400, "InvalidArgument", "commnd"},
      {"UnknownInputReference", "POST", "/api/v1/resourceGroups/rg/workspaces/ws/jobs",
       "command: echo ${{inputs.missing}}\ncompute: k8s\n", 400, "InvalidArgument", "command"},
      {"GroupWithDependants", "DELETE", "/api/v1/resourceGroups/rg", "", 409,
       "FailedPrecondition", ""},
      {"BadNamespace", "POST", "/api/v1/resourceGroups/rg/workspaces/ws/computes",
       R"({"name": "k2", "clusterName": "c1", "namespace": "Not_Valid"})", 400,
       "InvalidArgument", "namespace"},
  };
}

class BadInputTest : public ApiTest, public ::testing::WithParamInterface<BadRequest> {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    CreateBasics();
    CreateExtension({{"enableTraining", "True"}}, true);
    ASSERT_EQ(Attach().status, 201);
  }
};

TEST_P(BadInputTest, RejectsAndChangesNothing) {
  const BadRequest& bad = GetParam();
  std::string before = DumpStore();
  ApiResult result = Call(bad.method, bad.target, bad.body, bad.token, bad.headers);

  EXPECT_EQ(result.status, bad.status) << result.raw.substr(0, 500);
  EXPECT_EQ(result.code(), bad.code) << result.raw.substr(0, 500);
  EXPECT_EQ(result.field(), bad.field) << result.raw.substr(0, 500);
  EXPECT_FALSE(result.message().empty());
  EXPECT_EQ(DumpStore(), before);
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ty::server
