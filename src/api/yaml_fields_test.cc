#include "api/yaml_fields.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/errors.h"

namespace ty::api {
namespace {

YAML::Node Load(std::string_view text) {
  absl::StatusOr<YAML::Node> node = LoadYamlDocument(text);
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *node : YAML::Node();
}

TEST(YamlFieldsTest, LoadReportsLineAndColumn) {
  absl::StatusOr<YAML::Node> node = LoadYamlDocument("a: 1\nb: [2\n");
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(node.status()), "");
  EXPECT_NE(node.status().message().find("line 3, column 1"), std::string::npos)
      << node.status().message();
}

TEST(YamlFieldsTest, ReadIntegerAcceptsPlainAndQuoted) {
  YAML::Node node = Load("a: 5\nb: '7'\nc: +3\nd: -4\n");
  EXPECT_EQ(*ReadInteger(node["a"], "a", 1), 5);
  EXPECT_EQ(*ReadInteger(node["b"], "b", 1), 7);
  EXPECT_EQ(*ReadInteger(node["c"], "c", 1), 3);
  EXPECT_EQ(*ReadInteger(node["d"], "d", -10), -4);
}

TEST(YamlFieldsTest, ReadIntegerRejectsOthers) {
  YAML::Node node = Load("a: 0\nb: 1.0\nc: [1]\nd:\ne: 1234567890123456789\n");
  for (std::string key : {"a", "b", "c", "d", "e"}) {
    absl::StatusOr<int64_t> value = ReadInteger(node[key], key, 1);
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(ErrorField(value.status()), key);
  }
}

TEST(YamlFieldsTest, ReadScalarHonoursAllowEmpty) {
  YAML::Node node = Load("a:\nb: text\nc: {x: 1}\n");
  EXPECT_EQ(*ReadScalar(node["a"], "a", true), "");
  EXPECT_EQ(ReadScalar(node["a"], "a", false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ReadScalar(node["b"], "b", false), "text");
  EXPECT_EQ(ReadScalar(node["c"], "c", true).status().message(), "c: expected a string, got a mapping");
}

TEST(YamlFieldsTest, ReadScalarMapConvertsValues) {
  YAML::Node node = Load("env: {A: 1, B: true, C: , D: text}\n");
  absl::StatusOr<std::map<std::string, std::string>> values = ReadScalarMap(node["env"], "env");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, (std::map<std::string, std::string>{
                         {"A", "1"}, {"B", "true"}, {"C", ""}, {"D", "text"}}));
}

TEST(YamlFieldsTest, CheckMappingRejectsDuplicatesAndUnknownKeys) {
  YAML::Node node = Load("a: 1\na: 2\n");
  absl::Status status = CheckMapping(node, "root", {"a"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(status), "root.a");

  status = CheckMapping(Load("colour: red\n"), "", {"color", "size"});
  EXPECT_EQ(status.message(), "colour: unknown field 'colour': did you mean 'color'?");
  status = CheckMapping(Load("[1]"), "root", {"color"});
  EXPECT_EQ(status.message(), "root: expected a mapping with keys such as 'color', got a list");
}

}  // namespace
}  // namespace ty::api
