// trainyard login, health and version

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

std::optional<std::string> NonEmpty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

// Returns the token for `login`: --token-file or --token, then
// TRAINYARD_TOKEN, then the saved token when `server` is the saved server.
absl::StatusOr<std::string> LoginToken(CommandContext& context, const CliConfig& saved,
                                       const std::string& server) {
  const ParsedFlags& flags = context.flags();
  if (flags.Has("--token-file") && flags.Has("--token")) {
    return UsageError("give --token-file or --token, not both");
  }
  if (auto file = flags.Optional("--token-file")) return ReadTokenFile(*file);
  if (auto token = NonEmpty(flags.Optional("--token"))) return *token;
  if (auto token = NonEmpty(context.io().env("TRAINYARD_TOKEN"))) return *token;
  if (!saved.token.empty() && NormalizeServerUrl("", saved.server).value_or("") == server) {
    return saved.token;
  }
  return UsageError(
      "missing --token-file or --token; the server writes its admin token to "
      "<data-dir>/admin-token on first start");
}

absl::Status Login(CommandContext& context) {
  const ParsedFlags& flags = context.flags();
  ASSIGN_OR_RETURN(std::filesystem::path path, ConfigPath(context.io().env));
  ASSIGN_OR_RETURN(CliConfig config, LoadConfig(path));

  std::string server;
  if (auto flag = NonEmpty(flags.Optional("--server"))) {
    ASSIGN_OR_RETURN(server, NormalizeServerUrl("--server", *flag));
  } else if (auto variable = NonEmpty(context.io().env("TRAINYARD_SERVER"))) {
    ASSIGN_OR_RETURN(server, NormalizeServerUrl("TRAINYARD_SERVER", *variable));
  } else if (!config.server.empty()) {
    ASSIGN_OR_RETURN(server, NormalizeServerUrl(path.string(), config.server));
  } else {
    return UsageError("missing required flag --server; pass the server URL, such as "
                      "http://127.0.0.1:8080");
  }
  ASSIGN_OR_RETURN(std::string token, LoginToken(context, config, server));
  std::string ca_file = flags.Value("--ca-file", config.server == server ? config.ca_file : "");

  // An authenticated request proves both the URL and the token before
  // anything is saved.
  http::ClientOptions options;
  options.ca_file = ca_file;
  options.timeout = kRequestTimeout;
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> http, context.io().connect(server, options));
  ApiClient api(std::move(http), server, token);
  RETURN_IF_ERROR(api.Get(ApiPath({"locations"})).status());

  config.server = server;
  config.token = token;
  config.ca_file = ca_file;
  if (flags.Has("--resource-group")) config.resource_group = flags.Value("--resource-group");
  if (flags.Has("--workspace")) config.workspace = flags.Value("--workspace");
  RETURN_IF_ERROR(SaveConfig(path, config));

  nlohmann::json result = {{"server", server},
                           {"configFile", path.string()},
                           {"resourceGroup", config.resource_group},
                           {"workspace", config.workspace}};
  context.Print(result, [&] {
    return fmt::format("logged in to {}; configuration saved to '{}'\n", server, path.string()) +
           RenderOne(result, {{"DefaultResourceGroup", "resourceGroup"},
                              {"DefaultWorkspace", "workspace"}});
  });
  return absl::OkStatus();
}

// Health needs no token, so only the server URL is resolved.
absl::Status Health(CommandContext& context) {
  ASSIGN_OR_RETURN(CliConfig config, context.Config());
  std::string server;
  if (auto flag = NonEmpty(context.flags().Optional("--server"))) {
    server = *flag;
  } else if (auto variable = NonEmpty(context.io().env("TRAINYARD_SERVER"))) {
    server = *variable;
  } else {
    server = config.server;
  }
  if (server.empty()) {
    return absl::FailedPreconditionError(
        "no server configured; run `trainyard login --server URL --token-file FILE`, set "
        "TRAINYARD_SERVER, or start a local workspace with `trainyard up`");
  }
  ASSIGN_OR_RETURN(server, NormalizeServerUrl("the server setting", server));

  http::ClientOptions options;
  options.ca_file = config.server == server ? config.ca_file : "";
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> http, context.io().connect(server, options));
  ApiClient api(std::move(http), server, /*token=*/"");
  ASSIGN_OR_RETURN(nlohmann::json health, api.Get(ApiPath({"health"})));
  health["server"] = server;
  context.Print(health, [&] {
    return RenderOne(health, {{"Server", "server"}, {"Status", "status"}, {"Version", "version"}});
  });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> SessionCommands() {
  return {
      {.path = {"login"},
       .summary = "Checks the server URL and token and saves them, with optional defaults, to "
                  "the configuration file ($TRAINYARD_CONFIG or ~/.config/trainyard/config.json).",
       .flags = {{.name = "--token-file",
                  .value_name = "FILE",
                  .help = "file holding the API token, such as <data-dir>/admin-token"},
                 {.name = "--ca-file",
                  .value_name = "FILE",
                  .help = "PEM bundle that verifies an https server's certificate"},
                 {.name = "--resource-group",
                  .aliases = {"-g"},
                  .value_name = "GROUP",
                  .help = "default resource group for later commands"},
                 {.name = "--workspace",
                  .aliases = {"-w", "--workspace-name"},
                  .value_name = "WORKSPACE",
                  .help = "default workspace for later commands"}},
       .run = Login},
      {.path = {"health"},
       .summary = "Prints the server's health and version; needs no token.",
       .run = Health},
      {.path = {"version"}, .summary = "Prints the server's version and health.", .run = Health},
  };
}

}  // namespace ty::cli
