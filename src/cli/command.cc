#include "cli/command.h"

namespace ty::cli {

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {.name = "--output",
       .aliases = {"-o"},
       .choices = {"table", "json", "yaml", "none"},
       .value_name = "FORMAT",
       .help = "output format: table (default), json, yaml or none"},
      {.name = "--server",
       .value_name = "URL",
       .help = "server URL; overrides TRAINYARD_SERVER and the login configuration"},
      {.name = "--token",
       .value_name = "TOKEN",
       .help = "API token; overrides TRAINYARD_TOKEN and the login configuration"},
      {.name = "--help", .aliases = {"-h"}, .kind = FlagKind::kSwitch, .help = "show this help"},
  };
  return kFlags;
}

FlagSpec NameFlag(std::string help) {
  return {.name = "--name", .aliases = {"-n"}, .required = true, .value_name = "NAME",
          .help = std::move(help)};
}

FlagSpec ResourceGroupFlag() {
  return {.name = "--resource-group",
          .aliases = {"-g"},
          .value_name = "GROUP",
          .help = "resource group; defaults to the one stored by `trainyard login`"};
}

FlagSpec LocationFlag() {
  return {.name = "--location",
          .aliases = {"-l"},
          .required = true,
          .value_name = "LOCATION",
          .help = "location, one of the server's supported locations (GET /api/v1/locations)"};
}

FlagSpec WorkspaceFlag() {
  return {.name = "--workspace",
          .aliases = {"-w", "--workspace-name"},
          .value_name = "WORKSPACE",
          .help = "workspace; defaults to the one stored by `trainyard login`"};
}

FlagSpec YesFlag() {
  return {.name = "--yes",
          .aliases = {"-y"},
          .kind = FlagKind::kSwitch,
          .help = "do not prompt for confirmation"};
}

}  // namespace ty::cli
