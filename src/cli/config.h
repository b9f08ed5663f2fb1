#pragma once

// The CLI's configuration file, written by `trainyard login`, and the order in
// which the server URL and token are taken from flags, environment variables
// and that file.
//
// The file is JSON with mode 0600:
//   {"server": "http://127.0.0.1:8080", "token": "...", "caFile": "",
//    "resourceGroup": "rg", "workspace": "ws"}

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::cli {

struct CliConfig {
  std::string server;          // base URL, "http://127.0.0.1:8080"
  std::string token;           // bearer token
  std::string ca_file;         // PEM bundle that verifies an https server; empty: system store
  std::string resource_group;  // used when --resource-group is omitted
  std::string workspace;       // used when --workspace is omitted
};

// Looks up an environment variable; returns nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Returns the configuration file's path: $TRAINYARD_CONFIG, else
// $XDG_CONFIG_HOME/trainyard/config.json, else
// $HOME/.config/trainyard/config.json. kFailedPrecondition when none of
// these variables is set.
absl::StatusOr<std::filesystem::path> ConfigPath(const EnvLookup& env);

// Reads the file at `path`. A missing file gives an empty config.
// kInvalidArgument when the file is not a JSON object of strings; kInternal
// when it cannot be read.
absl::StatusOr<CliConfig> LoadConfig(const std::filesystem::path& path);

// Writes `config` to `path` with mode 0600, replacing the file atomically and
// creating missing parent folders with mode 0700.
absl::Status SaveConfig(const std::filesystem::path& path, const CliConfig& config);

// Reads a token file and strips surrounding whitespace. kNotFound or
// kPermissionDenied naming the file; kInvalidArgument when it is empty.
absl::StatusOr<std::string> ReadTokenFile(const std::filesystem::path& path);

struct Connection {
  std::string server;
  std::string token;
  std::string ca_file;
};

// Picks the server URL and token: flags first (`server_flag`, `token_flag`),
// then TRAINYARD_SERVER and TRAINYARD_TOKEN (and TRAINYARD_CA_FILE), then
// `config`. The token from `config` is used only with the server it was saved
// for, so that it is never sent to another server. Errors:
// kFailedPrecondition when no server or no token is found, telling the user
// to run `trainyard login` or `trainyard up`; kInvalidArgument for a URL that
// is not http:// or https://.
absl::StatusOr<Connection> ResolveConnection(const std::optional<std::string>& server_flag,
                                             const std::optional<std::string>& token_flag,
                                             const EnvLookup& env, const CliConfig& config);

// Returns `url` without trailing slashes. kInvalidArgument, naming `source`
// (a flag or variable), unless it starts with http:// or https://.
absl::StatusOr<std::string> NormalizeServerUrl(std::string_view source, std::string_view url);

}  // namespace ty::cli
