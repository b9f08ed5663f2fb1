#include "server/route_util.h"

#include <exception>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/suggest.h"
#include "common/time.h"
#include "server/api_errors.h"

namespace ty::server {

http::Handler Wrap(RouteHandler handler) {
  return [handler = std::move(handler)](http::Request& request) -> http::Response {
    try {
      absl::StatusOr<http::Response> response = handler(request);
      if (!response.ok()) {
        // Internal errors are logged by ErrorResponse; rejected requests
        // get one line here so an operator can follow a client's failures.
        if (HttpStatusFor(response.status().code()) < 500) {
          log::Info("{} {} rejected: {}", request.method, request.path,
                    std::string(response.status().message()));
        }
        return ErrorResponse(response.status());
      }
      return *std::move(response);
    } catch (const std::exception& error) {
      // Our code throws nothing; this is a library (JSON, filesystem)
      // throwing on input we failed to check.
      log::Error("{} {} failed with an exception: {}", request.method, request.path, error.what());
      return ErrorResponse(absl::InternalError(error.what()));
    }
  };
}

http::Handler Bind(ServerContext& context, ContextHandler handler) {
  return Wrap([&context, handler](http::Request& request) { return handler(context, request); });
}

absl::StatusOr<nlohmann::json> ParseJsonObject(const http::Request& request,
                                               const std::vector<std::string>& allowed) {
  if (request.body.size() > kMaxJsonBodyBytes) {
    return absl::ResourceExhaustedError(
        fmt::format("request body has {} bytes but the limit for a resource is {} bytes",
                    request.body.size(), kMaxJsonBodyBytes));
  }
  std::string_view body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(
        "request body is not valid JSON; send a JSON object such as {\"name\": \"x\"}");
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("request body must be a JSON object, not {}", parsed.type_name()));
  }
  for (const auto& [key, value] : parsed.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::optional<std::string> suggestion = ClosestMatch(key, allowed);
    std::string hint = suggestion ? fmt::format("did you mean '{}'?", *suggestion)
                                  : fmt::format("valid fields: {}", fmt::join(allowed, ", "));
    return InvalidField(key, fmt::format("unknown field '{}'; {}", key, hint));
  }
  return parsed;
}

absl::StatusOr<std::string> OptionalString(const nlohmann::json& body, std::string_view key,
                                           std::string_view fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string(fallback);
  if (!it->is_string()) {
    return InvalidField(key, fmt::format("must be a string, not {}", it->type_name()));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& body, std::string_view key,
                                           std::string_view hint) {
  absl::StatusOr<std::string> value = OptionalString(body, key);
  if (value.ok() && value->empty()) return InvalidField(key, fmt::format("missing; {}", hint));
  return value;
}

absl::StatusOr<int64_t> IntQuery(const http::Request& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max) {
  auto it = request.query.find(std::string(name));
  if (it == request.query.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < min || value > max) {
    return InvalidField(name, fmt::format("invalid value '{}'; expected an integer from {} to {}",
                                          it->second, min, max));
  }
  return value;
}

absl::StatusOr<bool> BoolQuery(const http::Request& request, std::string_view name,
                               bool fallback) {
  auto it = request.query.find(std::string(name));
  if (it == request.query.end()) return fallback;
  std::string value = absl::AsciiStrToLower(it->second);
  if (value == "true") return true;
  if (value == "false") return false;
  return InvalidField(name, fmt::format("invalid value '{}'; expected true or false", it->second));
}

absl::StatusOr<store::PageRequest> PageFromQuery(const http::Request& request) {
  store::PageRequest page;
  absl::StatusOr<int64_t> size = IntQuery(request, "pageSize", 100, 1, 1000);
  if (!size.ok()) return size.status();
  page.page_size = static_cast<int>(*size);
  page.page_token = request.Query("pageToken");
  return page;
}

absl::StatusOr<std::optional<int64_t>> ExpectedVersion(const http::Request& request,
                                                       const nlohmann::json& body) {
  std::optional<int64_t> from_header;
  std::string header = request.Header("if-match");
  if (!header.empty()) {
    // ETag syntax quotes the value; a weak prefix means the same here.
    std::string_view text = header;
    if (text.substr(0, 2) == "W/") text.remove_prefix(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      text = text.substr(1, text.size() - 2);
    }
    int64_t value = 0;
    if (!absl::SimpleAtoi(std::string(text), &value)) {
      return InvalidField("If-Match", fmt::format("invalid version '{}'; send the resource's "
                                                  "version number, such as If-Match: 3",
                                                  header));
    }
    from_header = value;
  }

  std::optional<int64_t> from_body;
  auto it = body.find("version");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return InvalidField("version", "must be an integer, the version the resource was read at");
    }
    from_body = it->get<int64_t>();
  }
  if (from_header && from_body && *from_header != *from_body) {
    return InvalidField("version", fmt::format("body version {} differs from If-Match {}; send "
                                               "one version",
                                               *from_body, *from_header));
  }
  return from_header ? from_header : from_body;
}

nlohmann::json ResourceJson(const store::Resource& resource) {
  nlohmann::json json = {{"id", resource.id},
                         {"name", resource.name},
                         {"type", resource.type},
                         {"resourceGroup", resource.resource_group},
                         {"version", resource.version},
                         {"createdAt", FormatRfc3339(resource.created_at)},
                         {"updatedAt", FormatRfc3339(resource.updated_at)},
                         {"properties", resource.properties}};
  if (!resource.location.empty()) json["location"] = resource.location;
  return json;
}

nlohmann::json ListJson(nlohmann::json items, const std::string& next_page_token) {
  nlohmann::json list = {{"items", std::move(items)}};
  if (!next_page_token.empty()) list["nextPageToken"] = next_page_token;
  return list;
}

}  // namespace ty::server
