#include "api/toleration.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/instance_type.h"
#include "common/errors.h"

namespace ty::api {
namespace {

using nlohmann::json;

TEST(TolerationTest, JsonRoundTrips) {
  json written = json::parse(R"([
      {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
      {"key": "nvidia.com/gpu", "operator": "Exists"},
      {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}])");
  absl::StatusOr<std::vector<Toleration>> read = TolerationsFromJson("tolerations", written);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0].value, "ml");
  EXPECT_EQ((*read)[2].toleration_seconds, 30);
  EXPECT_EQ(TolerationsToJson(*read), written);
}

TEST(TolerationTest, OperatorDefaultsToEqual) {
  absl::StatusOr<std::vector<Toleration>> read =
      TolerationsFromJson("tolerations", json::parse(R"([{"key": "spot", "value": "yes"}])"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)[0].operator_name, "Equal");
}

TEST(TolerationTest, RejectsBadTolerations) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"key": "a"})", "tolerations"},
      {R"([{"key": "a", "operator": "Above"}])", "tolerations[0].operator"},
      {R"([{"operator": "Equal", "value": "x"}])", "tolerations[0].key"},
      {R"([{"key": "a", "operator": "Exists", "value": "x"}])", "tolerations[0].value"},
      {R"([{"key": "a", "effect": "NoRun"}])", "tolerations[0].effect"},
      {R"([{"key": "a", "effect": "NoSchedule", "tolerationSeconds": 5}])",
       "tolerations[0].tolerationSeconds"},
      {R"([{"key": "a", "tolerationSeconds": "5"}])", "tolerations[0].tolerationSeconds"},
      {R"([{"key": "bad key"}])", "tolerations[0].key"},
      {R"([{"key": "a", "colour": "red"}])", "tolerations[0].colour"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    absl::StatusOr<std::vector<Toleration>> read =
        TolerationsFromJson("tolerations", json::parse(c.body));
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorField(read.status()), c.field) << read.status();
  }
}

TEST(TolerationTest, InstanceTypeCarriesTolerations) {
  json body = json::parse(R"({"name": "dedicated", "nodeSelector": {"pool": "ml"},
      "tolerations": [{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}]})");
  absl::StatusOr<InstanceType> type = InstanceTypeFromJson(body);
  ASSERT_TRUE(type.ok()) << type.status();
  ASSERT_EQ(type->tolerations.size(), 1u);
  EXPECT_EQ(type->tolerations[0].key, "dedicated");
  EXPECT_EQ(InstanceTypeToJson(*type)["tolerations"][0]["effect"], "NoSchedule");
  EXPECT_FALSE(InstanceTypeToJson(DefaultInstanceType()).contains("tolerations"));
}

}  // namespace
}  // namespace ty::api
