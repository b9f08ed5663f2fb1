#pragma once

// The server address inside a connection string, which `trainyard up` must
// rewrite when it starts the server on another address than last time.

#include <string>
#include <string_view>

namespace ty::up {

// Returns `connection` ("Endpoint=<url>;Cluster=...;Credential=...") with
// its Endpoint part set to `url`, keeping every other part and their order.
// A string without an Endpoint part gets one in front.
std::string WithEndpoint(std::string_view connection, std::string_view url);

}  // namespace ty::up
