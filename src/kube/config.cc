#include "kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "kube/base64.h"

namespace ty::kube {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read '{}'", path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Returns the scalar under `key`, or "" when it is missing or not a scalar.
std::string Scalar(const YAML::Node& node, const char* key) {
  YAML::Node value = node[key];
  if (!value || !value.IsScalar()) return "";
  return value.Scalar();
}

bool IsTrue(const YAML::Node& node, const char* key) {
  std::string value = Scalar(node, key);
  return value == "true" || value == "True" || value == "TRUE";
}

// Finds the entry called `name` in a kubeconfig list ("clusters", "users",
// "contexts") and returns its body (the "cluster", "user" or "context" map).
absl::StatusOr<YAML::Node> FindNamed(const YAML::Node& root, const char* list, const char* body,
                                     const std::string& name, const std::string& file_name) {
  std::vector<std::string> known;
  YAML::Node entries = root[list];
  if (entries && entries.IsSequence()) {
    for (const YAML::Node& entry : entries) {
      std::string entry_name = Scalar(entry, "name");
      if (entry_name == name && entry[body] && entry[body].IsMap()) return entry[body];
      if (!entry_name.empty()) known.push_back(fmt::format("'{}'", entry_name));
    }
  }
  std::string singular(list, std::string_view(list).size() - 1);
  return absl::InvalidArgumentError(fmt::format(
      "{} '{}' not found in '{}'; known {}: {}", singular, name, file_name, list,
      known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).string();
}

// Loads a PEM value given inline as "<field>-data" (base64) or as a file
// path under "<field>". Returns "" when neither is set.
absl::StatusOr<std::string> LoadPem(const YAML::Node& node, const std::string& field,
                                    const std::string& base_dir, const std::string& owner) {
  std::string data = Scalar(node, (field + "-data").c_str());
  if (!data.empty()) {
    absl::StatusOr<std::string> decoded = Base64Decode(data);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}-data: {}", owner, field,
                                                    decoded.status().message()));
    }
    return *decoded;
  }
  std::string path = Scalar(node, field.c_str());
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> content = ReadWholeFile(Resolve(base_dir, path));
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {} {}; fix the path or use {}-data", owner, field,
                    content.status().message(), field));
  }
  return *content;
}

absl::Status ReadUser(const YAML::Node& user, const std::string& name, const std::string& base_dir,
                      ClusterConfig* config) {
  std::string owner = fmt::format("user '{}'", name);
  if (user["exec"]) {
    std::string command = Scalar(user["exec"], "command");
    return absl::InvalidArgumentError(fmt::format(
        "{} gets its credentials from the exec plugin '{}', which trainyard does not run; "
        "put a token (for example from `kubectl create token <service-account>`) or a client "
        "certificate and key in the kubeconfig, or run the agent in the cluster",
        owner, command));
  }
  if (user["auth-provider"]) {
    return absl::InvalidArgumentError(fmt::format(
        "{} uses the auth-provider '{}', which trainyard does not support; use a token or a "
        "client certificate and key",
        owner, Scalar(user["auth-provider"], "name")));
  }
  if (!Scalar(user, "username").empty() || !Scalar(user, "password").empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{} uses basic authentication, which Kubernetes removed in 1.19; use a token or a "
        "client certificate and key",
        owner));
  }
  config->token = Scalar(user, "token");
  config->token_file = Resolve(base_dir, Scalar(user, "tokenFile"));
  if (!config->token_file.empty() && !fs::exists(config->token_file)) {
    return absl::InvalidArgumentError(
        fmt::format("{}: tokenFile '{}' does not exist", owner, config->token_file));
  }
  ASSIGN_OR_RETURN(config->client_cert_pem,
                   LoadPem(user, "client-certificate", base_dir, owner));
  ASSIGN_OR_RETURN(config->client_key_pem, LoadPem(user, "client-key", base_dir, owner));
  if (config->client_cert_pem.empty() != config->client_key_pem.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{} has a client certificate without a key or a key without a certificate; give both",
        owner));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClusterConfig> ParseRoot(const YAML::Node& root, const std::string& base_dir,
                                        const std::string& requested_context,
                                        const std::string& file_name) {
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a kubeconfig map", file_name));
  }
  std::string context_name =
      requested_context.empty() ? Scalar(root, "current-context") : requested_context;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' has no current-context; pass a context with --context", file_name));
  }
  ASSIGN_OR_RETURN(YAML::Node context,
                   FindNamed(root, "contexts", "context", context_name, file_name));
  std::string cluster_name = Scalar(context, "cluster");
  std::string user_name = Scalar(context, "user");
  ASSIGN_OR_RETURN(YAML::Node cluster,
                   FindNamed(root, "clusters", "cluster", cluster_name, file_name));

  ClusterConfig config;
  config.source = fmt::format("context '{}' of '{}'", context_name, file_name);
  config.namespace_name = Scalar(context, "namespace");
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("cluster '{}' in '{}' has no server", cluster_name, file_name));
  }
  config.insecure_skip_tls_verify = IsTrue(cluster, "insecure-skip-tls-verify");
  config.proxy_url = Scalar(cluster, "proxy-url");
  ASSIGN_OR_RETURN(config.ca_pem, LoadPem(cluster, "certificate-authority", base_dir,
                                          fmt::format("cluster '{}'", cluster_name)));
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "cluster '{}' sets both insecure-skip-tls-verify and a certificate authority; "
        "remove one of them, as kubectl requires",
        cluster_name));
  }
  if (!user_name.empty()) {
    ASSIGN_OR_RETURN(YAML::Node user, FindNamed(root, "users", "user", user_name, file_name));
    RETURN_IF_ERROR(ReadUser(user, user_name, base_dir, &config));
  }
  return config;
}

}  // namespace

absl::StatusOr<ClusterConfig> ParseKubeconfig(std::string_view yaml, const std::string& base_dir,
                                              const std::string& context,
                                              const std::string& file_name) {
  // yaml-cpp reports errors by throwing; they stop here.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not valid YAML: {}", file_name, error.what()));
  }
  try {
    return ParseRoot(root, base_dir, context, file_name);
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a valid kubeconfig: {}", file_name, error.what()));
  }
}

absl::StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  std::string chosen = path;
  if (chosen.empty()) {
    const char* list = std::getenv("KUBECONFIG");
    if (list != nullptr && *list != '\0') {
      std::string_view text(list);
      chosen = std::string(text.substr(0, text.find(':')));
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
      chosen = (fs::path(home) / ".kube" / "config").string();
    }
  }
  if (chosen.empty()) {
    return absl::NotFoundError("no kubeconfig: pass --kubeconfig or set KUBECONFIG");
  }
  absl::StatusOr<std::string> text = ReadWholeFile(chosen);
  if (!text.ok()) {
    return absl::NotFoundError(fmt::format(
        "kubeconfig '{}' cannot be read; pass the right file with --kubeconfig", chosen));
  }
  std::string base_dir = fs::absolute(chosen).parent_path().string();
  return ParseKubeconfig(*text, base_dir, context, chosen);
}

InClusterSource InClusterSourceFromEnvironment() {
  InClusterSource source;
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST")) source.host = host;
  if (const char* port = std::getenv("KUBERNETES_SERVICE_PORT")) source.port = port;
  return source;
}

absl::StatusOr<ClusterConfig> LoadInClusterConfig(const InClusterSource& source) {
  fs::path dir(source.secrets_dir);
  if (source.host.empty() || source.port.empty()) {
    return absl::FailedPreconditionError(
        "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
        "are not set; pass --kubeconfig to reach a cluster from outside");
  }
  if (!fs::exists(dir / "token")) {
    return absl::FailedPreconditionError(fmt::format(
        "the service account token '{}' is missing; set automountServiceAccountToken: true on "
        "the agent's pod or pass --kubeconfig",
        (dir / "token").string()));
  }

  ClusterConfig config;
  // IPv6 service addresses need brackets in a URL.
  std::string host = source.host.find(':') != std::string::npos ? "[" + source.host + "]"
                                                                 : source.host;
  config.server = fmt::format("https://{}:{}", host, source.port);
  config.token_file = (dir / "token").string();
  absl::StatusOr<std::string> ca = ReadWholeFile((dir / "ca.crt").string());
  if (!ca.ok()) {
    return absl::InvalidArgumentError(fmt::format(
        "the service account CA '{}' cannot be read", (dir / "ca.crt").string()));
  }
  config.ca_pem = *ca;
  absl::StatusOr<std::string> namespace_name = ReadWholeFile((dir / "namespace").string());
  if (namespace_name.ok()) {
    config.namespace_name = *namespace_name;
    while (!config.namespace_name.empty() &&
           std::isspace(static_cast<unsigned char>(config.namespace_name.back()))) {
      config.namespace_name.pop_back();
    }
  }
  config.source = "the pod's service account";
  return config;
}

}  // namespace ty::kube
