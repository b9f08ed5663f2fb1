#pragma once

// What a command handler works with: its parsed flags, the output streams,
// the configuration and a lazily connected API client.

#include <chrono>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/api_client.h"
#include "cli/config.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/http/client.h"

namespace ty::cli {

// Creates the HTTP client for a server base URL.
using HttpConnector = std::function<absl::StatusOr<std::unique_ptr<http::Client>>(
    std::string_view base_url, const http::ClientOptions& options)>;

// The process environment of one CLI run; tests substitute every part.
struct CliIo {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  bool interactive = false;  // standard input is a terminal, so deletes may prompt
  EnvLookup env;
  HttpConnector connect;
};

// Timeout of one HTTP request. It covers log long-polls of 30 s and uploads
// of large code snapshots.
inline constexpr std::chrono::seconds kRequestTimeout{120};

class CommandContext {
 public:
  CommandContext(const CliIo& io, ParsedFlags flags, OutputFormat output);

  const ParsedFlags& flags() const { return flags_; }
  OutputFormat output() const { return output_; }
  std::ostream& out() const { return *io_.out; }
  std::ostream& err() const { return *io_.err; }
  const CliIo& io() const { return io_; }

  // Returns the configuration file's content, read once; an empty config
  // when no file path can be determined. Errors as in LoadConfig.
  absl::StatusOr<CliConfig> Config();

  // Returns the API client, resolving the server and token on first use
  // (ResolveConnection with --server and --token).
  absl::StatusOr<ApiClient*> Api();

  // Returns --resource-group, or the default stored by `trainyard login`.
  // A usage error when neither is set.
  absl::StatusOr<std::string> ResourceGroup();

  // Returns --workspace, or the default stored by `trainyard login`. A usage
  // error when neither is set.
  absl::StatusOr<std::string> Workspace();

  // Returns OK when --yes was given or the user answers yes to `question`
  // on a terminal. kCancelled when the user declines; a usage error when
  // standard input is not a terminal and --yes is missing.
  absl::Status Confirm(std::string_view question);

  // Prints `value` in the chosen output format; see PrintValue.
  void Print(const nlohmann::json& value, const std::function<std::string()>& render_table) const;

 private:
  absl::StatusOr<std::string> FlagOrDefault(std::string_view flag, std::string_view short_flag,
                                            std::string CliConfig::*field,
                                            std::string_view login_flag);

  const CliIo& io_;
  ParsedFlags flags_;
  OutputFormat output_;
  std::optional<CliConfig> config_;
  std::unique_ptr<ApiClient> api_;
};

}  // namespace ty::cli
