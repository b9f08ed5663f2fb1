#include "cli/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<FlagSpec> ExtensionLikeFlags() {
  return {
      {.name = "--cluster-type", .aliases = {"-t"}, .required = true,
       .choices = {"connectedClusters"}, .value_name = "TYPE"},
      {.name = "--cluster-name", .aliases = {"-c"}, .required = true, .value_name = "CLUSTER"},
      {.name = "--name", .aliases = {"-n"}, .required = true, .value_name = "NAME"},
      {.name = "--scope", .value_name = "SCOPE"},
      {.name = "--configuration-settings", .aliases = {"--config"}, .kind = FlagKind::kList,
       .key_values = true, .value_name = "KEY=VALUE"},
      {.name = "--configuration-protected-settings", .kind = FlagKind::kList, .key_values = true,
       .value_name = "KEY=VALUE"},
      {.name = "--yes", .aliases = {"-y"}, .kind = FlagKind::kSwitch},
      {.name = "--max-results", .aliases = {"-r"}, .value_name = "N"},
  };
}

std::vector<std::string> Required() {
  return {"--cluster-type", "connectedClusters", "-c", "c1", "-n", "ml"};
}

std::vector<std::string> With(std::vector<std::string> tokens) {
  std::vector<std::string> all = Required();
  all.insert(all.end(), tokens.begin(), tokens.end());
  return all;
}

TEST(ParseFlagsTest, ReadsValuesUnderCanonicalNames) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--scope=cluster", "-y"}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();

  EXPECT_EQ(parsed->Value("--cluster-name"), "c1");
  EXPECT_EQ(parsed->Value("--name"), "ml");
  EXPECT_EQ(parsed->Value("--scope"), "cluster");
  EXPECT_TRUE(parsed->Has("--yes"));
  EXPECT_FALSE(parsed->Has("--configuration-settings"));
}

TEST(ParseFlagsTest, ListTakesTokensUpToNextFlag) {
  auto parsed = ParseFlags(ExtensionLikeFlags(),
                           With({"--configuration-settings", "enableTraining=True", "a=b=c",
                                 "--scope", "cluster", "--config", "x="}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();

  EXPECT_THAT(parsed->Values("--configuration-settings"),
              ElementsAre("enableTraining=True", "a=b=c", "x="));
  EXPECT_EQ(parsed->Value("--scope"), "cluster");
}

// Verifies that a setting typed after `--scope cluster` is named as a stray
// argument with a hint to move it after --configuration-settings.
TEST(ParseFlagsTest, StraySettingAfterScopeIsUsageError) {
  auto parsed = ParseFlags(
      ExtensionLikeFlags(),
      With({"--configuration-settings", "enableTraining=True", "installNvidiaDevicePlugin=False",
            "--scope", "cluster", "volumePluginDir=/var/lib/kubelet/volumeplugins"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("'volumePluginDir=/var/lib/kubelet/volumeplugins'"));
  EXPECT_THAT(message, HasSubstr("after '--scope cluster'"));
  EXPECT_THAT(message, HasSubstr("put it after --configuration-settings"));
}

TEST(ParseFlagsTest, StrayPlainWordIsUsageErrorWithoutSettingHint) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--yes", "extra"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(), HasSubstr("unexpected argument 'extra'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("--yes"));
  EXPECT_THAT(parsed.status().message(), Not(HasSubstr("--configuration-settings")));
}

TEST(ParseFlagsTest, LeadingStrayNamesEveryStray) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), {"a=1", "b=2"});

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("unexpected arguments 'a=1', 'b=2'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("takes no positional arguments"));
}

TEST(ParseFlagsTest, SettingWithoutEqualsIsUsageError) {
  auto parsed =
      ParseFlags(ExtensionLikeFlags(), With({"--configuration-settings", "enableTraining"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(), HasSubstr("'enableTraining'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("KEY=VALUE"));
}

TEST(ParseFlagsTest, SettingWithEmptyKeyIsUsageError) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--configuration-settings", "=True"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("'=True'"));
}

TEST(ParseFlagsTest, ConflictingDuplicateSettingHidesValues) {
  auto parsed = ParseFlags(ExtensionLikeFlags(),
                           With({"--configuration-protected-settings", "relayConnectionString=s1",
                                 "relayConnectionString=s2"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("'relayConnectionString' given twice"));
  EXPECT_THAT(parsed.status().message(), Not(HasSubstr("s1")));
}

TEST(ParseFlagsTest, MissingListValueIsUsageError) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--configuration-settings", "--yes"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("missing value for --configuration-settings"));
}

TEST(ParseFlagsTest, MissingRequiredFlagsAreAllNamed) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), {"--cluster-type", "connectedClusters"});

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("missing required flags --cluster-name (-c), --name (-n)"));
}

TEST(ParseFlagsTest, UnknownFlagSuggestsClosest) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--configuration-setings", "a=b"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(), HasSubstr("unknown flag '--configuration-setings'"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("did you mean '--configuration-settings'?"));
}

TEST(ParseFlagsTest, ChoiceMatchesIgnoringCase) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), {"-t", "CONNECTEDCLUSTERS", "-c", "c", "-n", "n"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();

  EXPECT_EQ(parsed->Value("--cluster-type"), "connectedClusters");
}

TEST(ParseFlagsTest, ChoiceErrorListsAcceptedValue) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), {"-t", "managedClusters", "-c", "c", "-n", "n"});

  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("invalid value 'managedClusters' for --cluster-type (-t); expected "
                        "connectedClusters"));
}

TEST(ParseFlagsTest, NegativeNumberIsValue) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"-r", "-1"}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();

  EXPECT_EQ(parsed->Value("--max-results"), "-1");
}

TEST(ParseFlagsTest, MissingValueIsUsageError) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), {"-t", "connectedClusters", "-c", "-n", "n"});

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("missing value for -c"));
}

TEST(ParseFlagsTest, SwitchWithValueIsUsageError) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--yes=no"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--yes takes no value"));
}

TEST(ParseFlagsTest, ValueGivenTwiceDifferentlyIsUsageError) {
  auto parsed = ParseFlags(ExtensionLikeFlags(), With({"--name", "other"}));

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--name given twice ('ml' and 'other')"));
}

TEST(ParseKeyValuesTest, SplitsAtFirstEquals) {
  auto pairs = ParseKeyValues("--set", {"command=python a.py --x=1", "empty="});
  ASSERT_TRUE(pairs.ok()) << pairs.status();

  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].first, "command");
  EXPECT_EQ((*pairs)[0].second, "python a.py --x=1");
  EXPECT_EQ((*pairs)[1].first, "empty");
  EXPECT_EQ((*pairs)[1].second, "");
}

TEST(UsageErrorTest, IsMarked) {
  EXPECT_TRUE(IsUsageError(UsageError("x")));
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("x")));
}

}  // namespace
}  // namespace ty::cli
