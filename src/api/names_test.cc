#include "api/names.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::api {
namespace {

TEST(ValidateNameTest, AcceptsValidNames) {
  for (const std::string& name : std::vector<std::string>{"a", "c1", "my-cluster", "gpu_small", "0abc",
                                                      std::string(63, 'x')}) {
    EXPECT_TRUE(ValidateName("cluster", "name", name).ok()) << name;
  }
}

struct BadName {
  std::string name;
  std::string expected_fragment;
};

TEST(ValidateNameTest, RejectsBadNamesWithReason) {
  const BadName kCases[] = {
      {"", "missing cluster name"},
      {std::string(64, 'a'), "it has 64 characters"},
      {"-abc", "'-' at the start is not allowed"},
      {"_abc", "'_' at the start is not allowed"},
      {"my cluster", "a space at position 3 is not allowed"},
      {"a.b", "'.' at position 2 is not allowed"},
      {"ab/c", "'/' at position 3 is not allowed"},
      {"caf\xc3\xa9", "byte 0xc3 at position 4 is not allowed"},
  };
  for (const BadName& c : kCases) {
    absl::Status status = ValidateName("cluster", "name", c.name);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(ErrorField(status), "name") << c.name;
    EXPECT_NE(status.message().find(c.expected_fragment), std::string_view::npos)
        << status.message();
    EXPECT_NE(status.message().find("starting with a letter or digit"), std::string_view::npos)
        << status.message();
  }
}

TEST(ValidateNameTest, MessageQuotesNameAndKind) {
  absl::Status status = ValidateName("workspace", "workspaceName", "bad name");
  EXPECT_EQ(status.message(),
            "workspaceName: invalid workspace name 'bad name': a space at position 4 is not "
            "allowed: use 1 to 63 letters, digits, '-' or '_', starting with a letter or digit");
}

}  // namespace
}  // namespace ty::api
