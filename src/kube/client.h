#pragma once

// A client of the Kubernetes REST API: typed paths, JSON objects, merge
// patches, deletes with a propagation policy, watches and pod logs. Errors
// follow api_errors.h.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/streaming_client.h"
#include "kube/api_errors.h"
#include "kube/config.h"
#include "kube/resource.h"

namespace ty::kube {

struct ClientOptions {
  std::chrono::milliseconds timeout{30000};  // per request, connect included
  bool use_proxy_env = true;  // honour HTTPS_PROXY and NO_PROXY unless the kubeconfig sets proxy-url
};

enum class PropagationPolicy { kForeground, kBackground, kOrphan };

struct ListOptions {
  std::string label_selector;  // "app=x,tier=y"
  std::string field_selector;  // "metadata.name=x"
};

struct WatchEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED" or "BOOKMARK"
  nlohmann::json object;
};

// A response body read line by line. Not thread-safe, except Cancel().
class LineStream {
 public:
  LineStream(std::unique_ptr<http::ResponseStream> stream, RequestInfo request);

  // Returns the next line without its "\n", or std::nullopt once the
  // server ended the body. Errors: kDeadlineExceeded after the idle
  // timeout, kCancelled after Cancel(), kUnavailable when the connection
  // broke.
  absl::StatusOr<std::optional<std::string>> Next();

  // Makes a blocked or later Next() fail with kCancelled. Thread-safe.
  void Cancel() { stream_->Cancel(); }

  // True when a whole line has arrived, so Next() returns without waiting.
  bool HasBufferedLine() const { return buffer_.find('\n') != std::string::npos; }

 private:
  std::unique_ptr<http::ResponseStream> stream_;
  const RequestInfo request_;
  std::string buffer_;
  bool ended_ = false;
};

// One watch request. Not thread-safe, except Cancel().
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<LineStream> lines, RequestInfo request)
      : lines_(std::move(lines)), request_(std::move(request)) {}

  // Returns the next event, or std::nullopt when the server closed the
  // watch (its timeoutSeconds passed). Errors: IsExpired() when the
  // resourceVersion is too old (list again), kInvalidArgument for a line
  // that is not an event, and those of LineStream::Next().
  absl::StatusOr<std::optional<WatchEvent>> Next();

  void Cancel() { lines_->Cancel(); }

 private:
  std::unique_ptr<LineStream> lines_;
  const RequestInfo request_;
};

struct LogOptions {
  std::string container;  // empty: the pod's only container
  bool follow = true;
  bool timestamps = true;  // each line starts with an RFC 3339 time and a space
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
};

// Thread-safe: requests from different threads use different connections.
class Client {
 public:
  // Errors: kInvalidArgument for a bad server URL or TLS material.
  static absl::StatusOr<std::unique_ptr<Client>> FromConfig(const ClusterConfig& config,
                                                            const ClientOptions& options = {});

  const ClusterConfig& config() const { return config_; }

  absl::StatusOr<nlohmann::json> Get(const ResourceType& type, std::string_view namespace_name,
                                     std::string_view name);

  // Returns the List object; its metadata.resourceVersion is where a watch
  // continues from.
  absl::StatusOr<nlohmann::json> List(const ResourceType& type, std::string_view namespace_name,
                                      const ListOptions& options = {});

  // Returns the object as stored. kAlreadyExists when the name is taken.
  absl::StatusOr<nlohmann::json> Create(const ResourceType& type,
                                        std::string_view namespace_name,
                                        const nlohmann::json& object);

  // Applies a JSON merge patch (RFC 7386) and returns the patched object.
  absl::StatusOr<nlohmann::json> MergePatch(const ResourceType& type,
                                            std::string_view namespace_name,
                                            std::string_view name, const nlohmann::json& patch);

  // Deletes with `policy`. kNotFound when the object is gone already.
  absl::Status Delete(const ResourceType& type, std::string_view namespace_name,
                      std::string_view name, PropagationPolicy policy);

  // Watches from `resource_version` (events after it). The server ends the
  // watch after `timeout_seconds`; reads wait that long plus a margin.
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const ResourceType& type,
                                                     std::string_view namespace_name,
                                                     const ListOptions& options,
                                                     std::string_view resource_version,
                                                     int timeout_seconds);

  // Opens the log of one container of a pod.
  absl::StatusOr<std::unique_ptr<LineStream>> StreamPodLog(std::string_view namespace_name,
                                                           std::string_view pod,
                                                           const LogOptions& options);

 private:
  Client(ClusterConfig config, http::ClientOptions http_options, http::TlsSettings tls);

  // Sends one request on a pooled connection and maps errors. Returns the
  // parsed body of a 2xx response.
  absl::StatusOr<nlohmann::json> Call(std::string_view method, const std::string& target,
                                      std::string_view body, std::string_view content_type,
                                      const RequestInfo& request);
  absl::StatusOr<std::unique_ptr<http::ResponseStream>> OpenStream(
      const std::string& target, std::chrono::milliseconds idle_timeout,
      const RequestInfo& request);
  absl::StatusOr<http::Headers> AuthHeaders() const;
  RequestInfo Describe(std::string verb, const ResourceType& type,
                       std::string_view namespace_name, std::string_view name) const;
  absl::StatusOr<std::unique_ptr<http::StreamingClient>> Acquire();
  void Release(std::unique_ptr<http::StreamingClient> connection);

  const ClusterConfig config_;
  const http::ClientOptions http_options_;
  const http::TlsSettings tls_;

  std::mutex mu_;
  std::vector<std::unique_ptr<http::StreamingClient>> idle_;  // guarded by mu_
};

}  // namespace ty::kube
