#include "api/command_template.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::api {
namespace {

TEST(FindCommandReferencesTest, FindsInputsAndOutputsInOrder) {
  std::string command = "run ${{inputs.a}} x ${{  outputs.b_1  }} ${{inputs.a}}";
  absl::StatusOr<std::vector<CommandReference>> references = FindCommandReferences(command);
  ASSERT_TRUE(references.ok()) << references.status();
  ASSERT_EQ(references->size(), 3u);

  EXPECT_EQ((*references)[0].kind, ReferenceKind::kInput);
  EXPECT_EQ((*references)[0].name, "a");
  EXPECT_EQ(command.substr((*references)[0].begin,
                           (*references)[0].end - (*references)[0].begin),
            "${{inputs.a}}");
  EXPECT_EQ((*references)[1].kind, ReferenceKind::kOutput);
  EXPECT_EQ((*references)[1].name, "b_1");
  EXPECT_EQ(command.substr((*references)[1].begin,
                           (*references)[1].end - (*references)[1].begin),
            "${{  outputs.b_1  }}");
  EXPECT_EQ((*references)[2].name, "a");
}

TEST(FindCommandReferencesTest, PlainDollarsAreNotReferences) {
  absl::StatusOr<std::vector<CommandReference>> references =
      FindCommandReferences("echo $HOME ${PATH} {{x}} $$");
  ASSERT_TRUE(references.ok()) << references.status();
  EXPECT_TRUE(references->empty());
}

TEST(FindCommandReferencesTest, RejectsBadExpressions) {
  struct Case {
    std::string command;
    std::string message;
  };
  const std::vector<Case> kCases = {
      {"echo ${{inputs.a", "command: unterminated '${{' at character 6: close it with '}}', as "
                           "in '${{inputs.data}}'"},
      {"echo ${{ }}", "command: unsupported expression '${{}}': use ${{inputs.NAME}} or "
                      "${{outputs.NAME}}"},
      {"echo ${{parent.jobs.x}}", "command: unsupported expression '${{parent.jobs.x}}': use "
                                  "${{inputs.NAME}} or ${{outputs.NAME}}"},
      {"echo ${{outputs.}}", "command: missing name in '${{outputs.}}': use ${{inputs.NAME}} or "
                             "${{outputs.NAME}}"},
  };
  for (const Case& c : kCases) {
    absl::StatusOr<std::vector<CommandReference>> references = FindCommandReferences(c.command);
    EXPECT_EQ(references.status().code(), absl::StatusCode::kInvalidArgument) << c.command;
    EXPECT_EQ(ErrorField(references.status()), "command");
    EXPECT_EQ(references.status().message(), c.message);
  }
}

}  // namespace
}  // namespace ty::api
