#include "main/agent_command.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "agent/agent.h"
#include "agent/connection_string.h"
#include "common/log.h"
#include "main/agent_backend.h"

namespace ty {
namespace {

namespace fs = std::filesystem;

std::atomic<int> g_signal{0};

void OnSignal(int signal) { g_signal = signal; }

// Forwards executor events to the agent, which is created after the
// executor because each needs the other.
class ListenerProxy : public agent::ExecutorListener {
 public:
  void Bind(agent::Agent* agent) { agent_ = agent; }
  void OnStatus(const agent::StatusEvent& event) override { agent_.load()->OnStatus(event); }
  void OnLog(const agent::LogChunk& chunk) override { agent_.load()->OnLog(chunk); }
  absl::Status UploadOutput(const std::string& job_id, const std::string& name,
                            const std::string& folder) override {
    return agent_.load()->UploadOutput(job_id, name, folder);
  }

 private:
  std::atomic<agent::Agent*> agent_{nullptr};
};

std::string SelfPath() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string() : self.string();
}

// Finds `clients/python` beside the binary or in a folder above it, which
// covers both a build tree (build/trainyard) and an install prefix.
std::string FindPythonClient(const std::string& self) {
  for (fs::path folder = fs::path(self).parent_path(); !folder.empty() && folder != folder.root_path();
       folder = folder.parent_path()) {
    fs::path candidate = folder / "clients" / "python";
    if (fs::is_directory(candidate / "trainyard_client")) return candidate.string();
  }
  return "";
}

std::string DefaultStateDir() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    return (fs::path(state) / "trainyard" / "agent").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".local/state/trainyard/agent").string();
  }
  return ".trainyard-agent";
}

}  // namespace

int RunAgentCommand(int argc, char** argv) {
  CLI::App app{"Connect this machine to a Trainyard server as a cluster and run its jobs",
               "trainyard agent"};
  std::string connection_text;
  std::string connection_file;
  std::string state_dir = DefaultStateDir();
  std::string tls_ca;
  std::string log_level = "info";
  int grace_seconds = 10;
  AgentBackendOptions backend_options;
  auto* text_option = app.add_option("--connection-string", connection_text,
                                     "the cluster's connection string from `trainyard "
                                     "connectedk8s connect` (visible in the process table: prefer "
                                     "--connection-string-file)");
  auto* file_option = app.add_option("--connection-string-file", connection_file,
                                     "file holding the connection string");
  text_option->excludes(file_option);
  app.add_option("--state-dir", state_dir,
                 "folder for the agent's outbox, job folders and extension state")
      ->capture_default_str();
  app.add_option("--tls-ca", tls_ca, "PEM file of the CA that signed the server's certificate")
      ->check(CLI::ExistingFile);
  app.add_option("--executor", backend_options.executor,
                 "backend that runs jobs: local (processes on this host) or kubernetes (Jobs on "
                 "a cluster)")
      ->capture_default_str();
  app.add_option("--kubeconfig", backend_options.kubeconfig,
                 "kubeconfig of the cluster (kubernetes only); default: the pod's service "
                 "account inside a pod, else $KUBECONFIG or ~/.kube/config");
  app.add_option("--context", backend_options.context,
                 "kubeconfig context to use (kubernetes only); default: its current-context");
  app.add_option("--namespace", backend_options.namespace_name,
                 "namespace of the jobs and the extension's objects (kubernetes only); default: "
                 "the context's namespace, else the pod's own, else trainyard");
  app.add_flag("--create-namespace", backend_options.create_namespace,
               "create the namespace when it does not exist (kubernetes only) instead of "
               "failing jobs that need it");
  app.add_option("--grace-period", grace_seconds,
                 "seconds between SIGTERM and SIGKILL when a job is canceled or times out")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  log::Level level;
  if (log::ParseLevel(log_level, &level)) log::SetLevel(level);

  if (connection_text.empty() && connection_file.empty()) {
    std::cerr << "trainyard agent: missing --connection-string-file (or --connection-string): "
                 "get one with `trainyard connectedk8s connect`\n";
    return 2;
  }
  if (!connection_file.empty()) {
    std::ifstream in(connection_file);
    if (!in) {
      std::cerr << "trainyard agent: cannot read --connection-string-file '" << connection_file
                << "'\n";
      return 1;
    }
    std::stringstream content;
    content << in.rdbuf();
    connection_text = content.str();
  }
  absl::StatusOr<agent::ConnectionString> connection =
      agent::ParseConnectionString(connection_text);
  if (!connection.ok()) {
    std::cerr << "trainyard agent: " << connection.status().message() << "\n";
    return 2;
  }

  std::string self = SelfPath();
  backend_options.state_dir = state_dir;
  backend_options.grace_period = std::chrono::seconds(grace_seconds);
  backend_options.self_path = self;
  backend_options.owner = connection->cluster_id;
  if (absl::Status valid = ValidateAgentBackendOptions(backend_options); !valid.ok()) {
    std::cerr << "trainyard agent: " << valid.message() << "\n";
    return 2;
  }
  ListenerProxy proxy;
  absl::StatusOr<AgentBackend> backend = CreateAgentBackend(backend_options, &proxy);
  if (!backend.ok()) {
    std::cerr << "trainyard agent: " << backend.status().message() << "\n";
    return 1;
  }

  agent::AgentOptions options;
  options.connection = *connection;
  options.http.ca_file = tls_ca;
  options.state_dir = state_dir;
  options.executor_name = backend_options.executor;
  // Pods of the kubernetes executor run in their own images, where a folder
  // of this host means nothing; their image provides the client.
  if (backend->jobs_share_host) options.python_client_dir = FindPythonClient(self);
  options.forget_finished_jobs = backend->forget_finished_jobs;
  absl::StatusOr<std::unique_ptr<agent::Agent>> created =
      agent::Agent::Create(options, *backend->executor, *backend->installer);
  if (!created.ok()) {
    std::cerr << "trainyard agent: " << created.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<agent::Agent> agent = std::move(*created);
  proxy.Bind(agent.get());

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  log::Info("agent: starting for cluster {} with state in {}", connection->cluster_id, state_dir);
  absl::Status started = agent->Start();
  if (!started.ok()) {
    std::cerr << "trainyard agent: " << started.message() << "\n";
    return 1;
  }
  while (g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log::Info("agent: stopping on signal {}; running jobs keep running and are found again on the "
            "next start",
            g_signal.load());
  agent->Stop();
  backend->executor->Shutdown();
  return 0;
}

}  // namespace ty
