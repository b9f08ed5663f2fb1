#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::agent {

// What the agent needs to reach its server, as printed by
// `trainyard connectedk8s connect`:
// "Endpoint=http://127.0.0.1:8080;Cluster=<group>/<cluster>;Credential=<hex>".
struct ConnectionString {
  std::string endpoint;    // server base URL, without a trailing slash
  std::string cluster_id;  // "<group>/<cluster>"
  std::string credential;  // secret; never log it
};

// Parses the string. Keys are case-insensitive and may come in any order;
// surrounding whitespace (such as a trailing newline from a file) is ignored.
// kInvalidArgument names the missing or malformed key.
absl::StatusOr<ConnectionString> ParseConnectionString(std::string_view text);

}  // namespace ty::agent
