#include "server/server_command.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "api/locations.h"
#include "common/http/server.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_server.h"
#include "server/blob_store.h"
#include "server/data_dir.h"
#include "server/relay_endpoint.h"
#include "server/web_assets.h"
#include "store/schema.h"

namespace ty::server {
namespace {

struct Flags {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;
  std::string tls_key;
  std::string locations;
  std::string log_level = "info";
  std::string public_url;
  std::string web_dir;
};

absl::StatusOr<http::ServerOptions> ListenOptions(const Flags& flags) {
  http::ServerOptions options;
  size_t colon = flags.listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && !absl::SimpleAtoi(flags.listen.substr(colon + 1), &port)) {
    port = -1;
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(fmt::format(
        "--listen: invalid address '{}'; use HOST:PORT such as 127.0.0.1:8080", flags.listen));
  }
  options.host = flags.listen.substr(0, colon);
  if (options.host.size() > 2 && options.host.front() == '[') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  options.port = static_cast<uint16_t>(port);
  options.tls_cert_file = flags.tls_cert;
  options.tls_key_file = flags.tls_key;
  return options;
}

absl::Status Serve(const Flags& flags) {
  ASSIGN_OR_RETURN(http::ServerOptions http_options, ListenOptions(flags));
  ServerSettings settings;
  settings.locations = api::DefaultLocations();
  if (!flags.locations.empty()) {
    absl::StatusOr<std::vector<std::string>> parsed = api::ParseLocationList(flags.locations);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(fmt::format("--locations: {}", parsed.status().message()));
    }
    settings.locations = *parsed;
  }
  settings.web_dir = flags.web_dir.empty() ? DefaultWebDir().string() : flags.web_dir;

  std::filesystem::path data_dir = flags.data_dir;
  RETURN_IF_ERROR(PrepareDataDir(data_dir));
  ASSIGN_OR_RETURN(DataDirLock lock, LockDataDir(data_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<store::Database> database,
                   store::OpenStore((data_dir / "trainyard.db").string()));
  std::filesystem::path token_path = data_dir / "admin-token";
  ASSIGN_OR_RETURN(std::string admin_token, LoadOrCreateAdminToken(token_path));

  store::Notifier notifier;
  BlobStore blobs(data_dir / "blobs");
  ServerContext context{*database, notifier, blobs, settings};
  std::unique_ptr<http::Router> router = BuildApiRouter(context);

  // The relay needs the public URL, which needs the bound port, so it is
  // created after the server starts. Upgrades that arrive before then are
  // rejected; agents only connect once they hold a connection string, which
  // the API hands out with that URL.
  std::atomic<RelayService*> relay_ready{nullptr};
  http::WebSocketFilter filter = [&relay_ready](const http::Request& request)
      -> std::optional<http::Response> {
    RelayService* relay = relay_ready.load();
    if (relay == nullptr) {
      return http::ErrorResponse(503, "Unavailable", "the server is starting; retry shortly");
    }
    return relay->Filter()(request);
  };
  http::WebSocketHandler handler = [&relay_ready](const http::Request& request,
                                                  std::unique_ptr<http::WebSocket> socket) {
    RelayService* relay = relay_ready.load();
    if (relay != nullptr) relay->Handler()(request, std::move(socket));
  };
  ASSIGN_OR_RETURN(std::unique_ptr<http::Server> server,
                   http::Server::Start(http_options,
                                       MakeApiHandler(*router, admin_token, database.get()),
                                       handler, filter));
  std::string scheme = flags.tls_cert.empty() ? "http" : "https";
  std::string url = fmt::format("{}://{}:{}", scheme, http_options.host, server->port());
  context.settings.public_url = flags.public_url.empty() ? url : flags.public_url;
  while (!context.settings.public_url.empty() && context.settings.public_url.back() == '/') {
    context.settings.public_url.pop_back();
  }
  RelayOptions relay_options;
  relay_options.public_url = context.settings.public_url;
  RelayService relay(*database, notifier, relay_options);
  relay.Start();
  relay_ready = &relay;

  // `trainyard up` and scripts read the bound address here, which is how
  // they learn the port when --listen asked for port 0.
  {
    std::filesystem::path address_path = data_dir / "address";
    std::filesystem::path partial = data_dir / "address.partial";
    std::ofstream(partial, std::ios::trunc) << url << "\n";
    std::error_code error;
    std::filesystem::rename(partial, address_path, error);
    if (error) log::Warning("writing '{}' failed because {}", address_path.string(), error.message());
  }

  std::cout << "trainyard server listening on " << url << "\n"
            << "admin token file: " << token_path.string() << std::endl;
  log::Info("server started: data dir '{}', {} supported locations", data_dir.string(),
            settings.locations.size());

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  log::Info("server stopping on signal {}", received);

  // Long polls wait on the notifier; waking them lets Stop() join their
  // connection threads promptly.
  notifier.Shutdown();
  relay.Stop();
  server->Stop();
  relay_ready = nullptr;
  log::Info("server stopped");
  return absl::OkStatus();
}

}  // namespace

int RunServerCommand(int argc, char** argv) {
  Flags flags;
  CLI::App app{"Run the Trainyard control plane: REST API, relay for agents and job store",
               "trainyard server"};
  app.add_option("--data-dir", flags.data_dir, "folder for the store, blobs and admin token")
      ->required();
  app.add_option("--listen", flags.listen, "HOST:PORT to listen on")->capture_default_str();
  auto* cert = app.add_option("--tls-cert", flags.tls_cert, "PEM certificate; serves HTTPS")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", flags.tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--locations", flags.locations,
                 "comma-separated supported locations (default: the documented list)");
  app.add_option("--log-level", flags.log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();
  app.add_option("--public-url", flags.public_url,
                 "URL agents and jobs use to reach this server (default: the listen address)");
  app.add_option("--web-dir", flags.web_dir,
                 "folder of the web page's files (default: 'web' beside this binary)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }

  log::Level level = log::Level::kInfo;
  log::ParseLevel(flags.log_level, &level);
  log::SetLevel(level);

  // Blocking the stop signals before any thread starts makes every thread
  // inherit the mask, so only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::Status status = Serve(flags);
  if (!status.ok()) {
    std::cerr << "trainyard server: " << status.message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace ty::server
