#include "cli/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/yaml_json.h"

namespace ty::cli {
namespace {

using ::testing::HasSubstr;

TEST(ToYamlTextTest, QuotesStringsThatReadAsOtherTypes) {
  nlohmann::json value = {{"enableTraining", "True"},
                          {"count", "10"},
                          {"empty", ""},
                          {"flag", true},
                          {"number", 3},
                          {"plain", "eastus"}};

  std::string yaml = ToYamlText(value);

  EXPECT_THAT(yaml, HasSubstr("enableTraining: \"True\""));
  EXPECT_THAT(yaml, HasSubstr("count: \"10\""));
  EXPECT_THAT(yaml, HasSubstr("empty: \"\""));
  EXPECT_THAT(yaml, HasSubstr("flag: true"));
  EXPECT_THAT(yaml, HasSubstr("number: 3"));
  EXPECT_THAT(yaml, HasSubstr("plain: eastus"));
}

TEST(ToYamlTextTest, RoundTripsThroughParseYaml) {
  nlohmann::json value = {
      {"name", "ml"},
      {"version", 3},
      {"properties",
       {{"configurationSettings", {{"enableTraining", "True"}, {"volumePluginDir", "/x"}}},
        {"configurationProtectedSettings", nlohmann::json::array({"relayConnectionString"})},
        {"statuses", nlohmann::json::array()},
        {"capacity", nlohmann::json::object()},
        {"lastHeartbeat", nullptr}}}};

  auto parsed = ParseYaml(ToYamlText(value), "test");

  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, value);
}

TEST(ToJsonTextTest, IsIndented) {
  EXPECT_EQ(ToJsonText({{"a", 1}}), "{\n  \"a\": 1\n}\n");
}

TEST(FieldTextTest, WalksDottedPath) {
  nlohmann::json value = {{"name", "c1"},
                          {"version", 2},
                          {"properties", {{"kind", "local"}, {"ready", false}}}};

  EXPECT_EQ(FieldText(value, "name"), "c1");
  EXPECT_EQ(FieldText(value, "version"), "2");
  EXPECT_EQ(FieldText(value, "properties.kind"), "local");
  EXPECT_EQ(FieldText(value, "properties.ready"), "false");
  EXPECT_EQ(FieldText(value, "properties.absent"), "");
  EXPECT_EQ(FieldText(value, "name.deeper"), "");
}

TEST(ParseYamlTest, InfersPlainScalarsKeepsQuotedStrings) {
  auto parsed = ParseYaml("a: 1\nb: '1'\nc: true\nd: \"true\"\ne: 4Gi\nf:\ng: 0.5\n", "it.yml");

  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"], 1);
  EXPECT_EQ((*parsed)["b"], "1");
  EXPECT_EQ((*parsed)["c"], true);
  EXPECT_EQ((*parsed)["d"], "true");
  EXPECT_EQ((*parsed)["e"], "4Gi");
  EXPECT_TRUE((*parsed)["f"].is_null());
  EXPECT_EQ((*parsed)["g"], 0.5);
}

TEST(ParseYamlTest, MalformedYamlNamesSourceAndLine) {
  auto parsed = ParseYaml("a: [1, 2\nb: 3\n", "job.yml");

  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'job.yml' at line"));
}

TEST(ParseOutputFormatTest, AcceptsKnownFormats) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("JSON"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(*ParseOutputFormat("none"), OutputFormat::kNone);
  EXPECT_FALSE(ParseOutputFormat("tsv").ok());
}

}  // namespace
}  // namespace ty::cli
