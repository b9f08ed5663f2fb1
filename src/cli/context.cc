#include "cli/context.h"

#include <string>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "common/status_macros.h"

namespace ty::cli {

CommandContext::CommandContext(const CliIo& io, ParsedFlags flags, OutputFormat output)
    : io_(io), flags_(std::move(flags)), output_(output) {}

absl::StatusOr<CliConfig> CommandContext::Config() {
  if (config_) return *config_;

  // Without HOME there is no default file, and flags and environment
  // variables can still supply everything.
  absl::StatusOr<std::filesystem::path> path = ConfigPath(io_.env);
  if (!path.ok()) {
    config_ = CliConfig{};
    return *config_;
  }
  ASSIGN_OR_RETURN(CliConfig config, LoadConfig(*path));
  config_ = std::move(config);
  return *config_;
}

absl::StatusOr<ApiClient*> CommandContext::Api() {
  if (api_) return api_.get();
  ASSIGN_OR_RETURN(CliConfig config, Config());
  ASSIGN_OR_RETURN(Connection connection,
                   ResolveConnection(flags_.Optional("--server"), flags_.Optional("--token"),
                                     io_.env, config));

  http::ClientOptions options;
  options.ca_file = connection.ca_file;
  options.timeout = kRequestTimeout;
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> http, io_.connect(connection.server, options));
  api_ = std::make_unique<ApiClient>(std::move(http), connection.server, connection.token);
  return api_.get();
}

absl::StatusOr<std::string> CommandContext::FlagOrDefault(std::string_view flag,
                                                          std::string_view short_flag,
                                                          std::string CliConfig::*field,
                                                          std::string_view login_flag) {
  if (auto value = flags_.Optional(flag); value && !value->empty()) return *value;
  ASSIGN_OR_RETURN(CliConfig config, Config());
  if (!(config.*field).empty()) return config.*field;
  return UsageError(fmt::format(
      "missing required flag {} ({}); pass it, or store a default with `trainyard login {} NAME`",
      flag, short_flag, login_flag));
}

absl::StatusOr<std::string> CommandContext::ResourceGroup() {
  return FlagOrDefault("--resource-group", "-g", &CliConfig::resource_group, "--resource-group");
}

absl::StatusOr<std::string> CommandContext::Workspace() {
  return FlagOrDefault("--workspace", "-w", &CliConfig::workspace, "--workspace");
}

absl::Status CommandContext::Confirm(std::string_view question) {
  if (flags_.Has("--yes")) return absl::OkStatus();
  if (!io_.interactive || io_.in == nullptr) {
    return UsageError(fmt::format(
        "{}: confirmation needed, but standard input is not a terminal; pass --yes (-y)",
        question));
  }

  err() << question << "? (y/N): " << std::flush;
  std::string answer;
  std::getline(*io_.in, answer);
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (lower == "y" || lower == "yes") return absl::OkStatus();
  return absl::CancelledError("canceled; nothing was changed");
}

void CommandContext::Print(const nlohmann::json& value,
                           const std::function<std::string()>& render_table) const {
  PrintValue(out(), output_, value, render_table);
}

}  // namespace ty::cli
