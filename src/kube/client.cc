#include "kube/client.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::kube {
namespace {

using nlohmann::json;

// Idle pooled connections kept for reuse; more concurrent requests than this
// open connections of their own, which are closed afterwards.
constexpr size_t kMaxIdleConnections = 8;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Query(const ListOptions& options) {
  std::string query;
  auto add = [&query](std::string_view key, std::string_view value) {
    query += query.empty() ? "?" : "&";
    query += fmt::format("{}={}", key, http::PercentEncode(value));
  };
  if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) add("fieldSelector", options.field_selector);
  return query;
}

std::string_view PolicyName(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kForeground:
      return "Foreground";
    case PropagationPolicy::kBackground:
      return "Background";
    case PropagationPolicy::kOrphan:
      return "Orphan";
  }
  return "Background";
}

}  // namespace

LineStream::LineStream(std::unique_ptr<http::ResponseStream> stream, RequestInfo request)
    : stream_(std::move(stream)), request_(std::move(request)) {}

absl::StatusOr<std::optional<std::string>> LineStream::Next() {
  while (true) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (ended_) {
      if (buffer_.empty()) return std::nullopt;
      std::string rest = std::move(buffer_);
      buffer_.clear();
      return rest;
    }
    absl::StatusOr<bool> more = stream_->Read(&buffer_);
    if (!more.ok()) {
      if (more.status().code() == absl::StatusCode::kCancelled ||
          more.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return more.status();
      }
      return StatusFromTransport(more.status(), request_);
    }
    if (!*more) ended_ = true;
  }
}

absl::StatusOr<std::optional<WatchEvent>> WatchStream::Next() {
  while (true) {
    ASSIGN_OR_RETURN(std::optional<std::string> line, lines_->Next());
    if (!line) return std::nullopt;
    if (line->empty()) continue;
    json event = json::parse(*line, nullptr, false);
    if (!event.is_object() || !event.contains("type") || !event["type"].is_string() ||
        !event.contains("object") || !event["object"].is_object()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: the watch sent a line that is not an event: '{}'", request_.Describe(),
          line->substr(0, 200)));
    }
    std::string type = event["type"].get<std::string>();
    if (type == "ERROR") {
      // The API server reports an expired resourceVersion in the stream, as
      // an ERROR event holding a Status object with code 410.
      const json& status = event["object"];
      int code = status.value("code", 500);
      return StatusFromAnswer(code, Dump(status), request_);
    }
    return WatchEvent{std::move(type), std::move(event["object"])};
  }
}

Client::Client(ClusterConfig config, http::ClientOptions http_options, http::TlsSettings tls)
    : config_(std::move(config)), http_options_(std::move(http_options)), tls_(std::move(tls)) {}

absl::StatusOr<std::unique_ptr<Client>> Client::FromConfig(const ClusterConfig& config,
                                                           const ClientOptions& options) {
  http::ClientOptions http_options;
  http_options.timeout = options.timeout;
  http_options.use_proxy_env = options.use_proxy_env;
  http_options.proxy_override = config.proxy_url;
  http::TlsSettings tls{.ca_pem = config.ca_pem,
                        .client_cert_pem = config.client_cert_pem,
                        .client_key_pem = config.client_key_pem,
                        .insecure_skip_verify = config.insecure_skip_tls_verify};
  // Building one connection up front checks the URL and the TLS material.
  absl::StatusOr<std::unique_ptr<http::StreamingClient>> probe =
      http::StreamingClient::Create(config.server, http_options, tls);
  if (!probe.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", config.source, probe.status().message()));
  }
  std::unique_ptr<Client> client(new Client(config, http_options, tls));
  client->Release(std::move(*probe));
  return client;
}

absl::StatusOr<http::Headers> Client::AuthHeaders() const {
  http::Headers headers = {{"Accept", "application/json"},
                           {"User-Agent", "trainyard-agent"}};
  std::string token = config_.token;
  if (!config_.token_file.empty()) {
    std::ifstream in(config_.token_file);
    if (!in) {
      return absl::UnauthenticatedError(fmt::format(
          "cannot read the token file '{}' of {}", config_.token_file, config_.source));
    }
    std::stringstream content;
    content << in.rdbuf();
    token = content.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return headers;
}

RequestInfo Client::Describe(std::string verb, const ResourceType& type,
                             std::string_view namespace_name, std::string_view name) const {
  return RequestInfo{.verb = std::move(verb),
                     .type = &type,
                     .namespace_name = type.namespaced ? std::string(namespace_name) : "",
                     .name = std::string(name),
                     .server = config_.server,
                     .source = config_.source};
}

absl::StatusOr<std::unique_ptr<http::StreamingClient>> Client::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<http::StreamingClient> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return http::StreamingClient::Create(config_.server, http_options_, tls_);
}

void Client::Release(std::unique_ptr<http::StreamingClient> connection) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
}

absl::StatusOr<json> Client::Call(std::string_view method, const std::string& target,
                                  std::string_view body, std::string_view content_type,
                                  const RequestInfo& request) {
  ASSIGN_OR_RETURN(http::Headers headers, AuthHeaders());
  ASSIGN_OR_RETURN(std::unique_ptr<http::StreamingClient> connection, Acquire());
  absl::StatusOr<http::Response> response =
      connection->Send(method, target, body, content_type, headers);
  if (!response.ok()) return StatusFromTransport(response.status(), request);
  Release(std::move(connection));
  if (response->status < 200 || response->status > 299) {
    return StatusFromAnswer(response->status, response->body, request);
  }
  json parsed = json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InternalError(fmt::format("{}: the API server returned invalid JSON",
                                           request.Describe()));
  }
  return parsed;
}

absl::StatusOr<std::unique_ptr<http::ResponseStream>> Client::OpenStream(
    const std::string& target, std::chrono::milliseconds idle_timeout,
    const RequestInfo& request) {
  ASSIGN_OR_RETURN(http::Headers headers, AuthHeaders());
  ASSIGN_OR_RETURN(std::unique_ptr<http::StreamingClient> connection, Acquire());
  absl::StatusOr<std::unique_ptr<http::ResponseStream>> stream =
      connection->Open("GET", target, headers, idle_timeout);
  Release(std::move(connection));
  if (!stream.ok()) return StatusFromTransport(stream.status(), request);
  if ((*stream)->status() < 200 || (*stream)->status() > 299) {
    // An error response is small and complete, so it is read whole for
    // its Status object.
    std::string body;
    while (body.size() < 64 * 1024) {
      absl::StatusOr<bool> more = (*stream)->Read(&body);
      if (!more.ok() || !*more) break;
    }
    return StatusFromAnswer((*stream)->status(), body, request);
  }
  return std::move(*stream);
}

absl::StatusOr<json> Client::Get(const ResourceType& type, std::string_view namespace_name,
                                 std::string_view name) {
  return Call("GET", ObjectPath(type, namespace_name, name), {}, {},
              Describe("get", type, namespace_name, name));
}

absl::StatusOr<json> Client::List(const ResourceType& type, std::string_view namespace_name,
                                  const ListOptions& options) {
  return Call("GET", CollectionPath(type, namespace_name) + Query(options), {}, {},
              Describe("list", type, namespace_name, ""));
}

absl::StatusOr<json> Client::Create(const ResourceType& type, std::string_view namespace_name,
                                    const json& object) {
  std::string name = object.contains("metadata") && object["metadata"].is_object()
                         ? object["metadata"].value("name", "")
                         : "";
  return Call("POST", CollectionPath(type, namespace_name), Dump(object), "application/json",
              Describe("create", type, namespace_name, name));
}

absl::StatusOr<json> Client::MergePatch(const ResourceType& type, std::string_view namespace_name,
                                        std::string_view name, const json& patch) {
  return Call("PATCH", ObjectPath(type, namespace_name, name), Dump(patch),
              "application/merge-patch+json", Describe("patch", type, namespace_name, name));
}

absl::Status Client::Delete(const ResourceType& type, std::string_view namespace_name,
                            std::string_view name, PropagationPolicy policy) {
  json options = {{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"propagationPolicy", std::string(PolicyName(policy))}};
  return Call("DELETE", ObjectPath(type, namespace_name, name), Dump(options),
              "application/json", Describe("delete", type, namespace_name, name))
      .status();
}

absl::StatusOr<std::unique_ptr<WatchStream>> Client::Watch(const ResourceType& type,
                                                           std::string_view namespace_name,
                                                           const ListOptions& options,
                                                           std::string_view resource_version,
                                                           int timeout_seconds) {
  std::string target = CollectionPath(type, namespace_name) + Query(options);
  target += target.find('?') == std::string::npos ? "?" : "&";
  target += fmt::format("watch=true&allowWatchBookmarks=true&timeoutSeconds={}", timeout_seconds);
  if (!resource_version.empty()) {
    target += fmt::format("&resourceVersion={}", http::PercentEncode(resource_version));
  }
  RequestInfo request = Describe("watch", type, namespace_name, "");
  // The server closes the watch after timeout_seconds; a silent connection
  // well past that is a dead one.
  auto idle_timeout = std::chrono::seconds(timeout_seconds + 30);
  ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> stream,
                   OpenStream(target, idle_timeout, request));
  auto lines = std::make_unique<LineStream>(std::move(stream), request);
  return std::make_unique<WatchStream>(std::move(lines), request);
}

absl::StatusOr<std::unique_ptr<LineStream>> Client::StreamPodLog(std::string_view namespace_name,
                                                                 std::string_view pod,
                                                                 const LogOptions& options) {
  std::string target = ObjectPath(kPods, namespace_name, pod) + "/log";
  std::vector<std::string> query;
  if (!options.container.empty()) {
    query.push_back("container=" + http::PercentEncode(options.container));
  }
  if (options.follow) query.push_back("follow=true");
  if (options.timestamps) query.push_back("timestamps=true");
  if (!query.empty()) target += fmt::format("?{}", fmt::join(query, "&"));
  RequestInfo request = Describe("get", kPods, namespace_name, pod);
  request.subresource = "log";
  ASSIGN_OR_RETURN(std::unique_ptr<http::ResponseStream> stream,
                   OpenStream(target, options.idle_timeout, request));
  return std::make_unique<LineStream>(std::move(stream), request);
}

}  // namespace ty::kube
