#pragma once

// For tests: runs the project's test Kubernetes API server
// (tests/kube_api_server/server.py) as a child process on a free loopback
// port, writes a kubeconfig for it, and drives its /_test/ control
// endpoints.

#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "kube/config.h"

namespace ty::kube::testing {

struct TestApiServerOptions {
  nlohmann::json config = nlohmann::json::object();  // the server's --config
  // PEM files for HTTPS; empty for plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string ca_file;  // the CA that signed tls_cert_file; empty: the certificate itself
  std::string client_ca_file;  // accept client certificates signed by this CA
};

class TestApiServer {
 public:
  TestApiServer() = default;
  ~TestApiServer();

  TestApiServer(const TestApiServer&) = delete;
  TestApiServer& operator=(const TestApiServer&) = delete;

  // Starts the server and waits until it listens. kUnavailable when it does
  // not come up within 20 s (its output is in the message).
  absl::Status Start(const TestApiServerOptions& options);

  // Sends SIGTERM and waits. Safe to call twice.
  void Stop();

  // "http://127.0.0.1:<port>" or "https://...".
  std::string url() const { return url_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // A configuration that reaches this server with `token`.
  ClusterConfig Config(const std::string& token) const;

  // Writes a kubeconfig with one context "test" for `token` and returns its
  // path.
  std::string WriteKubeconfig(const std::string& token) const;

  // POSTs `body` to /_test/<action> and returns the parsed response.
  absl::StatusOr<nlohmann::json> Control(const std::string& action,
                                         const nlohmann::json& body = nlohmann::json::object());

  // GETs an API path without authentication checks in the way: uses the
  // configured token. Returns the parsed object, or null when absent.
  nlohmann::json Get(const std::string& path, const std::string& token) const;

 private:
  std::string dir_;
  std::string url_;
  std::string ca_pem_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ty::kube::testing
