#include "cli/ignore_rules.h"

#include <gtest/gtest.h>

namespace ty::cli {
namespace {

IgnoreRules Rules(std::string_view text, std::string_view base = "") {
  IgnoreRules rules;
  rules.Add(base, text);
  return rules;
}

TEST(IgnoreRulesTest, BareNameMatchesAtAnyDepth) {
  IgnoreRules rules = Rules("*.ckpt\n");
  EXPECT_TRUE(rules.Excludes("model.ckpt", false));
  EXPECT_TRUE(rules.Excludes("runs/1/model.ckpt", false));
  EXPECT_FALSE(rules.Excludes("model.ckpt.txt", false));
}

TEST(IgnoreRulesTest, SlashAnchorsToTheRuleFilesFolder) {
  IgnoreRules rules = Rules("/data\nsrc/gen\n");
  EXPECT_TRUE(rules.Excludes("data", true));
  EXPECT_FALSE(rules.Excludes("lib/data", true));
  EXPECT_TRUE(rules.Excludes("src/gen", true));
  EXPECT_FALSE(rules.Excludes("lib/src/gen", true));
}

TEST(IgnoreRulesTest, TrailingSlashMatchesFoldersOnly) {
  IgnoreRules rules = Rules("outputs/\n");
  EXPECT_TRUE(rules.Excludes("outputs", true));
  EXPECT_TRUE(rules.Excludes("a/outputs", true));
  EXPECT_FALSE(rules.Excludes("outputs", false));
}

TEST(IgnoreRulesTest, DoubleStarSpansFolders) {
  IgnoreRules rules = Rules("**/cache\ndocs/**/*.png\nbuild/**\n");
  EXPECT_TRUE(rules.Excludes("cache", true));
  EXPECT_TRUE(rules.Excludes("x/y/cache", true));
  EXPECT_TRUE(rules.Excludes("docs/a.png", false));
  EXPECT_TRUE(rules.Excludes("docs/a/b/c.png", false));
  EXPECT_FALSE(rules.Excludes("build", true));  // only what is inside
  EXPECT_TRUE(rules.Excludes("build/out.o", false));
}

TEST(IgnoreRulesTest, LaterNegationReincludes) {
  IgnoreRules rules = Rules("*.log\n!important.log\n");
  EXPECT_TRUE(rules.Excludes("debug.log", false));
  EXPECT_FALSE(rules.Excludes("important.log", false));
}

TEST(IgnoreRulesTest, CommentsBlanksAndEscapes) {
  IgnoreRules rules = Rules("# comment\n\n   \n\\#hash\n\\!bang\ntrailing   \r\n");
  EXPECT_FALSE(rules.Excludes("comment", false));
  EXPECT_TRUE(rules.Excludes("#hash", false));
  EXPECT_TRUE(rules.Excludes("!bang", false));
  EXPECT_TRUE(rules.Excludes("trailing", false));
}

TEST(IgnoreRulesTest, RulesOfASubfolderStayInsideIt) {
  IgnoreRules rules = Rules("*.tmp\n/top.txt\n", "sub");
  EXPECT_TRUE(rules.Excludes("sub/a.tmp", false));
  EXPECT_TRUE(rules.Excludes("sub/deep/a.tmp", false));
  EXPECT_FALSE(rules.Excludes("a.tmp", false));
  EXPECT_TRUE(rules.Excludes("sub/top.txt", false));
  EXPECT_FALSE(rules.Excludes("sub/deep/top.txt", false));
  EXPECT_FALSE(rules.Excludes("sub", true));
}

TEST(IgnoreRulesTest, GlobClassesAndQuestionMark) {
  IgnoreRules rules = Rules("run[0-9].txt\nfile?.py\n");
  EXPECT_TRUE(rules.Excludes("run7.txt", false));
  EXPECT_FALSE(rules.Excludes("runx.txt", false));
  EXPECT_TRUE(rules.Excludes("file1.py", false));
  EXPECT_FALSE(rules.Excludes("file12.py", false));
}

}  // namespace
}  // namespace ty::cli
