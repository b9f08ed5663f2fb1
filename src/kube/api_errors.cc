#include "kube/api_errors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace ty::kube {
namespace {

constexpr char kExpiredPayloadUrl[] = "trainyard/kube-expired";

std::string ServerMessage(std::string_view body, std::string* reason) {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    if (reason != nullptr) *reason = status.value("reason", "");
    return status.value("message", "");
  }
  std::string text(body.substr(0, 300));
  return text;
}

}  // namespace

std::string RequestInfo::Describe() const {
  std::string resource = type == nullptr ? "resource" : type->QualifiedName();
  if (!subresource.empty()) resource += "/" + subresource;
  std::string text = fmt::format("{} {}", verb, resource);
  if (!name.empty()) text += fmt::format(" '{}'", name);
  if (!namespace_name.empty() && (type == nullptr || type->namespaced)) {
    text += fmt::format(" in namespace '{}'", namespace_name);
  }
  return text;
}

absl::Status StatusFromAnswer(int http_status, std::string_view body,
                              const RequestInfo& request) {
  std::string reason;
  std::string message = ServerMessage(body, &reason);
  std::string what = request.Describe();
  switch (http_status) {
    case 401:
      return absl::UnauthenticatedError(fmt::format(
          "{}: the API server '{}' returned 401 Unauthorized: token rejected (expired?); renew "
          "the token or client certificate of {}",
          what, request.server, request.source));
    case 403: {
      std::string resource = request.type == nullptr ? "" : request.type->QualifiedName();
      if (!request.subresource.empty()) resource += "/" + request.subresource;
      std::string scope = request.namespace_name.empty()
                              ? std::string("cluster-wide")
                              : fmt::format("in namespace '{}'", request.namespace_name);
      return absl::PermissionDeniedError(fmt::format(
          "{}: forbidden by RBAC: {}; grant the agent's account the verb '{}' on '{}' {} (see "
          "deploy/kubernetes/agent.yaml)",
          what, message, request.verb, resource, scope));
    }
    case 404: {
      // The API server reports a request into a missing namespace as a
      // missing namespace object, which deserves its own message.
      std::string missing_namespace = fmt::format("namespaces \"{}\" not found",
                                                  request.namespace_name);
      if (!request.namespace_name.empty() && message == missing_namespace) {
        return absl::NotFoundError(fmt::format(
            "{}: namespace '{}' does not exist; create it with `kubectl create namespace {}` or "
            "use an existing namespace",
            what, request.namespace_name, request.namespace_name));
      }
      return absl::NotFoundError(fmt::format("{}: not found: {}", what, message));
    }
    case 409:
      if (reason == "AlreadyExists") {
        return absl::AlreadyExistsError(fmt::format("{}: already exists: {}", what, message));
      }
      return absl::AbortedError(fmt::format(
          "{}: conflict: {}; read the object again and retry", what, message));
    case 410: {
      absl::Status status = absl::OutOfRangeError(
          fmt::format("{}: resourceVersion expired (410 Gone): {}; list again", what, message));
      status.SetPayload(kExpiredPayloadUrl, absl::Cord("1"));
      return status;
    }
    case 400:
    case 422:
      return absl::InvalidArgumentError(
          fmt::format("{}: the API server rejected the object: {}", what, message));
    default:
      break;
  }
  if (http_status == 429 || http_status >= 500) {
    return absl::UnavailableError(fmt::format("{}: the API server '{}' returned {}: {}", what,
                                              request.server, http_status, message));
  }
  return absl::UnknownError(
      fmt::format("{}: unexpected status {}: {}", what, http_status, message));
}

absl::Status StatusFromTransport(const absl::Status& transport, const RequestInfo& request) {
  std::string text = fmt::format(
      "{}: cannot reach the Kubernetes API server '{}' ({}): {}; check that the cluster is "
      "running and that its address and CA are right",
      request.Describe(), request.server, request.source, transport.message());
  if (transport.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(text);
  }
  if (transport.code() == absl::StatusCode::kCancelled) return transport;
  return absl::UnavailableError(text);
}

bool IsExpired(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange &&
         status.GetPayload(kExpiredPayloadUrl).has_value();
}

}  // namespace ty::kube
