#include "up/up_command.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "up/bootstrap.h"
#include "up/connection_endpoint.h"
#include "up/child_process.h"

namespace ty::up {
namespace {

namespace fs = std::filesystem;

std::atomic<int> g_signal{0};

void OnSignal(int signal) { g_signal = signal; }

std::string SelfPath() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string("trainyard") : self.string();
}

std::string DefaultDataDir() {
  if (const char* data_home = std::getenv("XDG_DATA_HOME"); data_home && *data_home) {
    return (fs::path(data_home) / "trainyard").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".local/share/trainyard").string();
  }
  return ".trainyard";
}

absl::StatusOr<std::string> ReadSecretFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("read '", path.string(), "' failed"));
  std::stringstream content;
  content << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

absl::Status WriteSecretFile(const fs::path& path, const std::string& content) {
  fs::path partial = path;
  partial += ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("write '", partial.string(), "' failed"));
    out << content << '\n';
  }
  chmod(partial.c_str(), 0600);
  std::error_code error;
  fs::rename(partial, path, error);
  if (error) return absl::InternalError(absl::StrCat("rename to '", path.string(), "': ", error.message()));
  return absl::OkStatus();
}

struct Layout {
  fs::path root;
  fs::path server_dir() const { return root / "server"; }
  fs::path agent_dir() const { return root / "agent"; }
  fs::path token_file() const { return server_dir() / "admin-token"; }
  fs::path connection_file() const { return agent_dir() / "connection-string"; }
  fs::path server_log() const { return root / "server.log"; }
  fs::path agent_log() const { return root / "agent.log"; }
  fs::path ready_file() const { return root / "up.json"; }
};

class Up {
 public:
  Up(Layout layout, std::string listen, std::string self)
      : layout_(std::move(layout)), listen_(std::move(listen)), self_(std::move(self)) {}

  int Run();

 private:
  absl::Status StartServer();
  absl::Status StartAgent(const std::string& connection_string);
  absl::Status Login();
  int Supervise();

  const Layout layout_;
  const std::string listen_;
  const std::string self_;
  std::string url_;
  ChildProcess server_;
  ChildProcess agent_;
};

int Up::Run() {
  std::error_code error;
  fs::create_directories(layout_.agent_dir(), error);
  fs::create_directories(layout_.server_dir(), error);
  if (error) {
    std::cerr << "trainyard up: create data folder '" << layout_.root.string()
              << "': " << error.message() << "\n";
    return 1;
  }
  chmod(layout_.root.c_str(), 0700);
  fs::remove(layout_.ready_file(), error);

  // The server and the agent stop when this process dies, even by SIGKILL
  // (main.cc reads the variable); their jobs' shims keep running.
  setenv(kParentPidVariable, std::to_string(getpid()).c_str(), 1);
  absl::Status status = StartServer();
  if (!status.ok()) {
    std::cerr << "trainyard up: " << status.message() << "\n";
    return 1;
  }
  absl::StatusOr<std::string> token = ReadSecretFile(layout_.token_file());
  if (!token.ok()) {
    std::cerr << "trainyard up: " << token.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<http::Client>> client = http::Client::Create(url_);
  if (!client.ok()) {
    std::cerr << "trainyard up: " << client.status().message() << "\n";
    return 1;
  }
  Bootstrap bootstrap(std::move(*client), *token);

  auto step = [](const char* what, absl::Status result) {
    if (result.ok()) {
      std::cout << "  " << what << "\n" << std::flush;
    } else {
      std::cerr << "trainyard up: " << what << ": " << result.message() << "\n";
    }
    return result.ok();
  };
  std::cout << "Server listening on " << url_ << " (log: " << layout_.server_log().string()
            << ")\n";
  if (!step("resource group 'default' (location 'local')", bootstrap.EnsureGroup())) return 1;

  absl::StatusOr<std::string> connection = bootstrap.EnsureCluster();
  if (!connection.ok()) return step("cluster 'local'", connection.status()) ? 0 : 1;
  if (!connection->empty()) {
    if (!step("cluster 'local' registered",
              WriteSecretFile(layout_.connection_file(), *connection))) {
      return 1;
    }
  } else {
    absl::StatusOr<std::string> kept = ReadSecretFile(layout_.connection_file());
    if (!kept.ok()) {
      std::cerr << "trainyard up: cluster 'local' exists but its connection string file '"
                << layout_.connection_file().string()
                << "' is missing: start with a new --data-dir\n";
      return 1;
    }
    // The server may listen on another address than last time (the
    // quickstart listens on port 0), so the agent must dial the new one.
    connection = WithEndpoint(*kept, url_);
    if (*connection != *kept &&
        !step("connection string pointed at this server",
              WriteSecretFile(layout_.connection_file(), *connection))) {
      return 1;
    }
    std::cout << "  cluster 'local' found, reusing its connection string\n";
  }
  absl::StatusOr<std::string> heartbeat_before = bootstrap.ClusterHeartbeat();
  if (!heartbeat_before.ok()) return step("cluster 'local'", heartbeat_before.status()) ? 0 : 1;
  if (!step("local agent started", StartAgent(*connection))) return 1;
  if (!step("local agent connected",
            bootstrap.WaitForAgent(*heartbeat_before, std::chrono::seconds(30),
                                   layout_.agent_log().string()))) {
    return 1;
  }
  if (!step("extension 'trainyard' installed with enableTraining=True",
            bootstrap.EnsureExtensionInstalled(std::chrono::seconds(120)))) {
    return 1;
  }
  if (!step("workspace 'default'", bootstrap.EnsureWorkspace())) return 1;
  if (!step("compute 'local' attached to workspace 'default'", bootstrap.EnsureCompute())) {
    return 1;
  }
  if (!step("CLI logged in (resource group 'default', workspace 'default')", Login())) return 1;

  WriteSecretFile(layout_.ready_file(),
                  absl::StrCat("{\"url\": \"", url_, "\", \"tokenFile\": \"",
                               layout_.token_file().string(), "\", \"pid\": ", getpid(), "}"))
      .IgnoreError();
  std::cout << "\nTrainyard is up.\n"
            << "  web page:   " << url_ << "/ (sign in with the token file's contents)\n"
            << "  API:        " << url_ << "/api/v1\n"
            << "  token file: " << layout_.token_file().string() << "\n"
            << "  agent log:  " << layout_.agent_log().string() << "\n"
            << "Submit a job:  " << SelfPath()
            << " ml job create --file examples/digits-pytorch/job.yml --stream\n"
            << "Press Ctrl-C to stop the server and the agent.\n"
            << std::flush;
  return Supervise();
}

absl::Status Up::StartServer() {
  fs::path address_file = layout_.server_dir() / "address";
  std::error_code error;
  fs::remove(address_file, error);
  ASSIGN_OR_RETURN(server_, ChildProcess::Start({self_, "server", "--data-dir",
                                                 layout_.server_dir().string(), "--listen",
                                                 listen_},
                                                layout_.server_log().string()));
  // The server writes the address it bound (which tells the port when
  // --listen asked for port 0) to <data-dir>/address once it serves.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_.Running()) {
      return absl::UnavailableError(
          absl::StrCat("the server exited during start; last lines of ",
                       layout_.server_log().string(), ":\n",
                       TailFile(layout_.server_log().string(), 10)));
    }
    absl::StatusOr<std::string> address = ReadSecretFile(address_file);
    if (address.ok() && !address->empty()) {
      url_ = *address;
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the server did not start within 30 s; see ", layout_.server_log().string()));
}

absl::Status Up::StartAgent(const std::string& connection_string) {
  // The connection string travels in a file, never on the command line,
  // where other users could read it from the process table.
  RETURN_IF_ERROR(WriteSecretFile(layout_.connection_file(), connection_string));
  ASSIGN_OR_RETURN(agent_, ChildProcess::Start({self_, "agent", "--connection-string-file",
                                                layout_.connection_file().string(),
                                                "--state-dir", layout_.agent_dir().string()},
                                               layout_.agent_log().string()));
  return absl::OkStatus();
}

absl::Status Up::Login() {
  ASSIGN_OR_RETURN(ChildProcess login,
                   ChildProcess::Start({self_, "login", "--server", url_, "--token-file",
                                        layout_.token_file().string(), "--resource-group",
                                        kGroup, "--workspace", kWorkspace},
                                       (layout_.root / "login.log").string()));
  while (login.Running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  int status = login.wait_status();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("trainyard login failed: ",
                                            TailFile((layout_.root / "login.log").string(), 5)));
  }
  return absl::OkStatus();
}

int Up::Supervise() {
  int exit_code = 0;
  while (g_signal == 0) {
    if (!server_.Running()) {
      std::cerr << "trainyard up: the server stopped unexpectedly; last lines of its log:\n"
                << TailFile(layout_.server_log().string(), 10) << "\n";
      exit_code = 1;
      break;
    }
    if (!agent_.Running()) {
      std::cerr << "trainyard up: the agent stopped unexpectedly; last lines of its log:\n"
                << TailFile(layout_.agent_log().string(), 10) << "\n";
      exit_code = 1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "\nStopping the agent and the server...\n" << std::flush;
  // The agent goes first so that its last reports reach a live server; jobs
  // keep running under their shims and are found again on the next start.
  agent_.Stop(10);
  server_.Stop(10);
  std::error_code error;
  fs::remove(layout_.ready_file(), error);
  std::cout << "Stopped. Data kept in " << layout_.root.string() << "\n";
  return exit_code;
}

}  // namespace

int RunUpCommand(int argc, char** argv) {
  CLI::App app{"Start a server and a local agent, register this machine and attach it as "
               "compute 'local'",
               "trainyard up"};
  std::string data_dir = DefaultDataDir();
  std::string listen = "127.0.0.1:8080";
  app.add_option("--data-dir", data_dir,
                 "folder for the store, the agent's state and the logs; reused on the next run")
      ->capture_default_str();
  app.add_option("--listen", listen, "address the server listens on, HOST:PORT (port 0 picks one)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Up up(Layout{fs::absolute(data_dir)}, listen, SelfPath());
  return up.Run();
}

}  // namespace ty::up
