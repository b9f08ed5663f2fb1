#pragma once

// Turns Kubernetes API answers and transport failures into absl statuses
// whose messages say what failed and how to fix it.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "kube/resource.h"

namespace ty::kube {

// One request, as error messages describe it.
struct RequestInfo {
  std::string verb;  // the RBAC verb: get, list, watch, create, patch, delete
  const ResourceType* type = nullptr;
  std::string namespace_name;
  std::string name;     // empty for collections
  std::string server;   // the API server URL
  std::string source;   // where the credentials came from (ClusterConfig::source)
  std::string subresource;  // "log" for pod logs, else empty

  // "create jobs.batch 'x' in namespace 'team-a'".
  std::string Describe() const;
};

// Maps an HTTP error response (a Status object in `body`, or anything else):
//   401 -> kUnauthenticated ("token rejected (expired?)"),
//   403 -> kPermissionDenied naming the verb, resource and namespace,
//   404 -> kNotFound (a missing namespace is named as such),
//   409 -> kAlreadyExists (reason AlreadyExists) or kAborted (a conflict),
//   410 -> kOutOfRange: the resourceVersion expired, list again (IsExpired),
//   400, 422 -> kInvalidArgument with the server's message,
//   429, 5xx -> kUnavailable, anything else -> kUnknown.
// REQUIRES: `http_status` is not 2xx.
absl::Status StatusFromAnswer(int http_status, std::string_view body, const RequestInfo& request);

// Maps a transport failure (connection refused, TLS, timeout) to
// kUnavailable or kDeadlineExceeded naming the API server and the
// credentials' source.
absl::Status StatusFromTransport(const absl::Status& transport, const RequestInfo& request);

// True for the status that StatusFromAnswer gives a 410 Gone response, and
// for a watch's ERROR event with code 410.
bool IsExpired(const absl::Status& status);

}  // namespace ty::kube
