#include "cli/config.h"

#include <sys/stat.h>

#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/files.h"

namespace ty::cli {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("cli_config_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::filesystem::path folder_;
};

TEST(ConfigPathTest, PrefersTrainyardConfig) {
  auto path = ConfigPath(Env({{"TRAINYARD_CONFIG", "/x/c.json"},
                              {"XDG_CONFIG_HOME", "/xdg"},
                              {"HOME", "/home/u"}}));
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/x/c.json");
}

TEST(ConfigPathTest, FallsBackToXdgThenHome) {
  EXPECT_EQ(*ConfigPath(Env({{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/home/u"}})),
            "/xdg/trainyard/config.json");
  EXPECT_EQ(*ConfigPath(Env({{"HOME", "/home/u"}})), "/home/u/.config/trainyard/config.json");
  EXPECT_EQ(ConfigPath(Env({})).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ConfigTest, SaveWritesOwnerOnlyFileThatLoadReads) {
  std::filesystem::path path = folder_ / "nested" / "config.json";
  CliConfig config{.server = "http://127.0.0.1:8080", .token = "secret", .ca_file = "",
                   .resource_group = "rg", .workspace = "ws"};

  ASSERT_TRUE(SaveConfig(path, config).ok());
  auto loaded = LoadConfig(path);

  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->server, "http://127.0.0.1:8080");
  EXPECT_EQ(loaded->token, "secret");
  EXPECT_EQ(loaded->resource_group, "rg");
  EXPECT_EQ(loaded->workspace, "ws");
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

TEST_F(ConfigTest, MissingFileIsEmptyConfig) {
  auto loaded = LoadConfig(folder_ / "absent.json");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->server.empty());
}

TEST_F(ConfigTest, MalformedFileNamesPath) {
  std::filesystem::path path = folder_ / "config.json";
  ASSERT_TRUE(WriteFileAtomically(path, "{not json", 0600).ok());

  auto loaded = LoadConfig(path);

  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr(path.string()));
}

TEST_F(ConfigTest, TokenFileIsTrimmed) {
  std::filesystem::path path = folder_ / "token";
  ASSERT_TRUE(WriteFileAtomically(path, "  abc123\n", 0600).ok());

  EXPECT_EQ(*ReadTokenFile(path), "abc123");
  EXPECT_EQ(ReadTokenFile(folder_ / "absent").status().code(), absl::StatusCode::kNotFound);
}

CliConfig SavedConfig() {
  return {.server = "http://saved:1", .token = "saved-token", .ca_file = "/ca.pem",
          .resource_group = "", .workspace = ""};
}

TEST(ResolveConnectionTest, FlagsBeatEnvironmentBeatConfig) {
  EnvLookup env = Env({{"TRAINYARD_SERVER", "http://env:2"}, {"TRAINYARD_TOKEN", "env-token"}});

  auto from_flags = ResolveConnection("http://flag:3/", "flag-token", env, SavedConfig());
  auto from_env = ResolveConnection(std::nullopt, std::nullopt, env, SavedConfig());
  auto from_config = ResolveConnection(std::nullopt, std::nullopt, Env({}), SavedConfig());

  ASSERT_TRUE(from_flags.ok() && from_env.ok() && from_config.ok());
  EXPECT_EQ(from_flags->server, "http://flag:3");
  EXPECT_EQ(from_flags->token, "flag-token");
  EXPECT_EQ(from_env->server, "http://env:2");
  EXPECT_EQ(from_env->token, "env-token");
  EXPECT_EQ(from_config->server, "http://saved:1");
  EXPECT_EQ(from_config->token, "saved-token");
  EXPECT_EQ(from_config->ca_file, "/ca.pem");
}

// Verifies that the saved token never goes to a server other than the one it
// was saved for.
TEST(ResolveConnectionTest, SavedTokenOnlyForSavedServer) {
  auto connection = ResolveConnection("http://other:9", std::nullopt, Env({}), SavedConfig());

  EXPECT_EQ(connection.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(connection.status().message(), HasSubstr("no token configured for server 'http://other:9'"));
  EXPECT_THAT(connection.status().message(), HasSubstr("trainyard login"));
}

TEST(ResolveConnectionTest, MissingServerTellsHowToLogIn) {
  auto connection = ResolveConnection(std::nullopt, std::nullopt, Env({}), CliConfig{});

  EXPECT_EQ(connection.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(connection.status().message(), HasSubstr("no server configured"));
  EXPECT_THAT(connection.status().message(), HasSubstr("trainyard login"));
  EXPECT_THAT(connection.status().message(), HasSubstr("trainyard up"));
}

TEST(ResolveConnectionTest, RejectsUrlWithoutScheme) {
  auto connection = ResolveConnection("127.0.0.1:8080", "t", Env({}), CliConfig{});

  EXPECT_EQ(connection.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(connection.status().message(), HasSubstr("'127.0.0.1:8080' from --server"));
}

}  // namespace
}  // namespace ty::cli
