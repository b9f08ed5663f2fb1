#pragma once

// Helpers shared by the route files: wrapping status-returning handlers,
// reading JSON bodies and query parameters with field-naming errors, and the
// resource envelope.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "common/http/router.h"
#include "server/server_context.h"
#include "store/resources.h"

namespace ty::server {

// JSON bodies of resources larger than this get 413 ResourceExhausted.
inline constexpr size_t kMaxJsonBodyBytes = 1 << 20;

using RouteHandler = std::function<absl::StatusOr<http::Response>(http::Request&)>;

// Adapts `handler` to the router: a non-OK status becomes the API's error
// response, and an exception escaping a library becomes a logged 500.
http::Handler Wrap(RouteHandler handler);

// A route function of one resource file.
using ContextHandler = absl::StatusOr<http::Response> (*)(ServerContext&, http::Request&);

// Wrap() for a route function that needs the server context.
http::Handler Bind(ServerContext& context, ContextHandler handler);

// Parses the request body as one JSON object no larger than
// kMaxJsonBodyBytes whose keys are all in `allowed` (an unknown key is
// rejected with the closest allowed one suggested). Errors:
// kResourceExhausted, kInvalidArgument.
absl::StatusOr<nlohmann::json> ParseJsonObject(const http::Request& request,
                                               const std::vector<std::string>& allowed);

// Returns body[`key`] as a string: "" when absent and `fallback` is empty,
// else `fallback`. kInvalidArgument (field `key`) when present and not a
// string.
absl::StatusOr<std::string> OptionalString(const nlohmann::json& body, std::string_view key,
                                           std::string_view fallback = "");
// As OptionalString, but kInvalidArgument when absent or empty; `hint`
// completes the message ("missing; <hint>").
absl::StatusOr<std::string> RequiredString(const nlohmann::json& body, std::string_view key,
                                           std::string_view hint);

// Reads ?pageSize (1 to 1000, default 100) and ?pageToken.
absl::StatusOr<store::PageRequest> PageFromQuery(const http::Request& request);

// Reads an integer query parameter within [min, max], or `fallback` when
// absent. kInvalidArgument naming the parameter otherwise.
absl::StatusOr<int64_t> IntQuery(const http::Request& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max);

// Reads a boolean query parameter ("true"/"false" in any case), or
// `fallback` when absent.
absl::StatusOr<bool> BoolQuery(const http::Request& request, std::string_view name,
                               bool fallback);

// The version an update expects: the If-Match header or the body's
// "version" (they must agree), or nullopt when neither is given.
absl::StatusOr<std::optional<int64_t>> ExpectedVersion(const http::Request& request,
                                                       const nlohmann::json& body);

// The API envelope of a resource: id, name, type, resourceGroup, location
// (when set), version, createdAt, updatedAt, properties. Never the secret.
nlohmann::json ResourceJson(const store::Resource& resource);

// {"items": [...], "nextPageToken": "..."} with the token left out on the
// last page.
nlohmann::json ListJson(nlohmann::json items, const std::string& next_page_token);

}  // namespace ty::server
