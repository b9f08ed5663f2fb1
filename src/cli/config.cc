#include "cli/config.h"

#include <system_error>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "cli/files.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

constexpr std::string_view kLoginHint =
    "run `trainyard login --server URL --token-file FILE`, set TRAINYARD_SERVER and "
    "TRAINYARD_TOKEN, or start a local workspace with `trainyard up`";

std::optional<std::string> NonEmpty(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace

absl::StatusOr<std::filesystem::path> ConfigPath(const EnvLookup& env) {
  if (auto path = NonEmpty(env("TRAINYARD_CONFIG"))) return std::filesystem::path(*path);
  if (auto xdg = NonEmpty(env("XDG_CONFIG_HOME"))) {
    return std::filesystem::path(*xdg) / "trainyard" / "config.json";
  }
  if (auto home = NonEmpty(env("HOME"))) {
    return std::filesystem::path(*home) / ".config" / "trainyard" / "config.json";
  }
  return absl::FailedPreconditionError(
      "cannot locate the configuration file because HOME is not set; set TRAINYARD_CONFIG to its "
      "path");
}

absl::StatusOr<CliConfig> LoadConfig(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return CliConfig{};
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));

  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return absl::InvalidArgumentError(fmt::format(
        "configuration file '{}' is not a JSON object; fix it or run `trainyard login` again",
        path.string()));
  }
  CliConfig config;
  auto read = [&](const char* key, std::string& field) -> absl::Status {
    if (!json.contains(key)) return absl::OkStatus();
    if (!json[key].is_string()) {
      return absl::InvalidArgumentError(fmt::format(
          "configuration file '{}': \"{}\" must be a string", path.string(), key));
    }
    field = json[key].get<std::string>();
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(read("server", config.server));
  RETURN_IF_ERROR(read("token", config.token));
  RETURN_IF_ERROR(read("caFile", config.ca_file));
  RETURN_IF_ERROR(read("resourceGroup", config.resource_group));
  RETURN_IF_ERROR(read("workspace", config.workspace));
  return config;
}

absl::Status SaveConfig(const std::filesystem::path& path, const CliConfig& config) {
  nlohmann::json json = nlohmann::json::object();
  auto write = [&](const char* key, const std::string& value) {
    if (!value.empty()) json[key] = value;
  };
  write("server", config.server);
  write("token", config.token);
  write("caFile", config.ca_file);
  write("resourceGroup", config.resource_group);
  write("workspace", config.workspace);
  return WriteFileAtomically(path, json.dump(2) + "\n", 0600);
}

absl::StatusOr<std::string> ReadTokenFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::string token(absl::StripAsciiWhitespace(text));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("token file '{}' is empty; pass the file the server wrote its token to, such "
                    "as <data-dir>/admin-token",
                    path.string()));
  }
  return token;
}

absl::StatusOr<std::string> NormalizeServerUrl(std::string_view source, std::string_view url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid server URL '{}' from {}; expected http://HOST:PORT or https://HOST:PORT", url,
        source));
  }
  while (url.ends_with('/')) url.remove_suffix(1);
  return std::string(url);
}

absl::StatusOr<Connection> ResolveConnection(const std::optional<std::string>& server_flag,
                                             const std::optional<std::string>& token_flag,
                                             const EnvLookup& env, const CliConfig& config) {
  Connection connection;
  std::string server_source;
  if (auto flag = NonEmpty(server_flag)) {
    server_source = "--server";
    connection.server = *flag;
  } else if (auto variable = NonEmpty(env("TRAINYARD_SERVER"))) {
    server_source = "TRAINYARD_SERVER";
    connection.server = *variable;
  } else if (!config.server.empty()) {
    server_source = "the configuration file";
    connection.server = config.server;
  } else {
    return absl::FailedPreconditionError(fmt::format("no server configured; {}", kLoginHint));
  }
  ASSIGN_OR_RETURN(connection.server, NormalizeServerUrl(server_source, connection.server));

  bool config_matches = !config.server.empty() &&
                        NormalizeServerUrl("", config.server).value_or("") == connection.server;
  if (auto flag = NonEmpty(token_flag)) {
    connection.token = *flag;
  } else if (auto variable = NonEmpty(env("TRAINYARD_TOKEN"))) {
    connection.token = *variable;
  } else if (config_matches && !config.token.empty()) {
    connection.token = config.token;
  } else {
    return absl::FailedPreconditionError(
        fmt::format("no token configured for server '{}'; {}", connection.server, kLoginHint));
  }

  if (auto variable = NonEmpty(env("TRAINYARD_CA_FILE"))) {
    connection.ca_file = *variable;
  } else if (config_matches) {
    connection.ca_file = config.ca_file;
  }
  return connection;
}

}  // namespace ty::cli
