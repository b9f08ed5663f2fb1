#pragma once

// Where a Kubernetes API server is and how to authenticate to it: from a
// kubeconfig file (contexts, clusters, users) or from the in-cluster
// service account that Kubernetes mounts into every pod.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::kube {

// A resolved connection: PEM texts are loaded, relative paths resolved.
struct ClusterConfig {
  std::string server;  // "https://host:6443"
  std::string ca_pem;  // empty: the system CA store
  // Set only when the kubeconfig asks for it (insecure-skip-tls-verify).
  bool insecure_skip_tls_verify = false;
  std::string proxy_url;  // the cluster's proxy-url, or empty
  std::string token;       // bearer token, or empty
  // A file holding the bearer token, read again before each request because
  // projected service account tokens are rotated.
  std::string token_file;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string namespace_name;  // the context's namespace, or the pod's own; may be empty
  std::string source;          // for messages: "context 'kind-dev' of '/root/.kube/config'"
};

// Parses kubeconfig YAML. `context` picks the context; empty means
// current-context. Relative file paths are taken relative to `base_dir`.
// Errors: kInvalidArgument for malformed YAML, an unknown or missing
// context, cluster or user (the name and the known names are given), a
// cluster without a server, unreadable or invalid certificate files or data,
// and users that need an exec or auth-provider plugin or basic auth, which
// are not supported (the message says what to use instead).
absl::StatusOr<ClusterConfig> ParseKubeconfig(std::string_view yaml, const std::string& base_dir,
                                              const std::string& context,
                                              const std::string& file_name = "kubeconfig");

// Reads the kubeconfig at `path`, or when `path` is empty the first file of
// $KUBECONFIG (a colon-separated list; later files are not merged), else
// ~/.kube/config. Errors: kNotFound for a missing file (the path is
// named), and those of ParseKubeconfig.
absl::StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path, const std::string& context);

// What a pod sees of its service account.
struct InClusterSource {
  std::string secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::string host;  // KUBERNETES_SERVICE_HOST
  std::string port;  // KUBERNETES_SERVICE_PORT
};

// Returns the source with host and port from the environment.
InClusterSource InClusterSourceFromEnvironment();

// Builds the configuration of a pod's service account: the API server at
// https://host:port, the token file, the CA and the namespace from
// `secrets_dir`. Errors: kFailedPrecondition when not running in a pod
// (host or token missing), kInvalidArgument for an unreadable CA.
absl::StatusOr<ClusterConfig> LoadInClusterConfig(const InClusterSource& source);

}  // namespace ty::kube
