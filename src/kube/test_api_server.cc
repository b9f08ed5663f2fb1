#include "kube/test_api_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/http/streaming_client.h"
#include "common/log.h"
#include "common/status_macros.h"

#ifndef TY_KUBE_API_SERVER_SCRIPT
#error "TY_KUBE_API_SERVER_SCRIPT must name tests/kube_api_server/server.py"
#endif

namespace ty::kube::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

TestApiServer::~TestApiServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

absl::Status TestApiServer::Start(const TestApiServerOptions& options) {
  std::string pattern = (fs::temp_directory_path() / "kube-api-server-XXXXXX").string();
  dir_ = mkdtemp(pattern.data());
  std::string config_file = dir_ + "/config.json";
  std::ofstream(config_file) << options.config.dump();
  std::string port_file = dir_ + "/port";
  std::string log_file = dir_ + "/server.log";
  fs::create_directories(dir_ + "/pods");

  std::vector<std::string> args = {"python3", TY_KUBE_API_SERVER_SCRIPT, "--port-file", port_file,
                                   "--config", config_file, "--work-dir", dir_ + "/pods"};
  if (!options.tls_cert_file.empty()) {
    args.insert(args.end(), {"--tls-cert", options.tls_cert_file, "--tls-key",
                             options.tls_key_file});
    ca_pem_ = ReadText(options.ca_file.empty() ? options.tls_cert_file : options.ca_file);
  }
  if (!options.client_ca_file.empty()) {
    args.insert(args.end(), {"--client-ca", options.client_ca_file});
  }

  pid_ = fork();
  if (pid_ == 0) {
    int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(port_file)) {
      port_ = std::stoi(ReadText(port_file));
      url_ = fmt::format("{}://127.0.0.1:{}", options.tls_cert_file.empty() ? "http" : "https",
                         port_);
      return absl::OkStatus();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return absl::UnavailableError(
      fmt::format("the test API server did not start: {}", ReadText(log_file)));
}

void TestApiServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ClusterConfig TestApiServer::Config(const std::string& token) const {
  ClusterConfig config;
  config.server = url_;
  config.ca_pem = ca_pem_;
  config.token = token;
  config.namespace_name = "default";
  config.source = "the test API server";
  return config;
}

std::string TestApiServer::WriteKubeconfig(const std::string& token) const {
  std::string path = dir_ + "/kubeconfig";
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
      << "clusters:\n- name: test\n  cluster:\n    server: " << url_ << "\n";
  if (!ca_pem_.empty()) out << "    certificate-authority: " << dir_ << "/ca.pem\n";
  out << "contexts:\n- name: test\n  context: {cluster: test, user: test, namespace: default}\n"
      << "users:\n- name: test\n  user: {token: " << token << "}\n";
  if (!ca_pem_.empty()) std::ofstream(dir_ + "/ca.pem") << ca_pem_;
  return path;
}

absl::StatusOr<nlohmann::json> TestApiServer::Control(const std::string& action,
                                                      const nlohmann::json& body) {
  ASSIGN_OR_RETURN(std::unique_ptr<http::StreamingClient> client,
                   http::StreamingClient::Create(url_, {.use_proxy_env = false},
                                                 {.insecure_skip_verify = true}));
  ASSIGN_OR_RETURN(http::Response response,
                   client->Send("POST", "/_test/" + action, body.dump(), "application/json", {}));
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    return absl::InternalError(fmt::format("control '{}' failed: {}", action, response.body));
  }
  return parsed;
}

nlohmann::json TestApiServer::Get(const std::string& path, const std::string& token) const {
  auto client = http::StreamingClient::Create(url_, {.use_proxy_env = false},
                                              {.insecure_skip_verify = true});
  if (!client.ok()) return nullptr;
  auto response =
      (*client)->Send("GET", path, {}, {}, {{"Authorization", "Bearer " + token}});
  if (!response.ok() || response->status != 200) return nullptr;
  return nlohmann::json::parse(response->body, nullptr, false);
}

}  // namespace ty::kube::testing
