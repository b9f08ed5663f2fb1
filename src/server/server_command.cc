#include "server/server_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "api/locations.h"
#include "common/http/server.h"
#include "common/log.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "server/api_server.h"
#include "server/blob_store.h"
#include "server/relay_endpoint.h"
#include "store/schema.h"

namespace ty::server {
namespace {

// 32 random bytes, shown as 64 hex digits.
constexpr size_t kAdminTokenBytes = 32;

struct Flags {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;
  std::string tls_key;
  std::string locations;
  std::string log_level = "info";
  std::string public_url;
};

// Reads the admin token, creating it on first start. The file is created
// with O_EXCL and mode 0600, so a token is never written to a file another
// user can read, and two servers starting at once cannot both create it.
absl::StatusOr<std::string> LoadOrCreateAdminToken(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = RandomHex(kAdminTokenBytes);
    std::string line = token + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                   ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return absl::InternalError(fmt::format("write '{}': {}", path.string(), strerror(errno)));
    return token;
  }
  if (errno != EEXIST) {
    return absl::InternalError(fmt::format("create '{}': {}", path.string(), strerror(errno)));
  }

  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    log::Warning("admin token file '{}' is readable by other users; run chmod 600 on it",
                 path.string());
  }
  std::ifstream file(path);
  std::string token;
  std::getline(file, token);
  if (token.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "admin token file '{}' is empty; delete it to have a new token created", path.string()));
  }
  return token;
}

// Holds an exclusive lock on the data folder for the life of the process, so
// a second server on the same store fails at once.
absl::Status LockDataDir(const std::filesystem::path& dir) {
  std::filesystem::path lock_path = dir / "server.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("open '{}': {}", lock_path.string(), strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(fmt::format(
        "another trainyard server is using data dir '{}'; stop it or pick another --data-dir",
        dir.string()));
  }
  return absl::OkStatus();  // the descriptor stays open until exit
}

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

  std::filesystem::path data_dir = flags.data_dir;
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::InternalError(fmt::format("create data dir '{}': {}", data_dir.string(), error.message()));
  }
  ::chmod(data_dir.c_str(), 0700);
  RETURN_IF_ERROR(LockDataDir(data_dir));
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
                   http::Server::Start(http_options, MakeApiHandler(*router, admin_token),
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
