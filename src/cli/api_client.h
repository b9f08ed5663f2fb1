#pragma once

// The CLI's client for the REST API in docs/rest-api.md: bearer-token auth,
// JSON bodies, the shared error body turned into absl::Status, and paging.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http/client.h"

namespace ty::cli {

// Returns "/api/v1/" followed by `segments`, each percent-encoded, joined by
// '/': ApiPath({"resourceGroups", "rg"}) is "/api/v1/resourceGroups/rg".
std::string ApiPath(std::initializer_list<std::string_view> segments);

// Converts a response with an error status to absl::Status. The code and
// message come from the body {"error": {"code", "message", "field"}}, and the
// field travels as the ty::kFieldPayloadUrl payload. A body of another shape
// gives a status from the HTTP code with the start of the body as message.
absl::Status StatusFromResponse(const http::Response& response);

// Not thread-safe, like the http::Client it wraps.
class ApiClient {
 public:
  ApiClient(std::unique_ptr<http::Client> http, std::string server, std::string token);

  // Each call returns the parsed JSON body of a 2xx response, or null for an
  // empty body. Errors: what the server returned (StatusFromResponse),
  // kUnavailable or kDeadlineExceeded naming the server when it cannot be
  // reached, kInternal for a 2xx body that is not JSON.
  absl::StatusOr<nlohmann::json> Get(std::string_view target);
  absl::StatusOr<nlohmann::json> Post(std::string_view target, const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> PostBody(std::string_view target, std::string_view body,
                                          std::string_view content_type);
  absl::StatusOr<nlohmann::json> Patch(std::string_view target, const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Delete(std::string_view target);

  // Returns the raw body of a 2xx GET, for blobs and artifacts.
  absl::StatusOr<std::string> GetBytes(std::string_view target);

  // Returns the items of a list endpoint as one JSON array, following
  // nextPageToken until the last page or until `max_items` items.
  absl::StatusOr<nlohmann::json> ListAll(std::string_view target,
                                         std::optional<int64_t> max_items = std::nullopt);

  const std::string& server() const { return server_; }

 private:
  absl::StatusOr<http::Response> Send(std::string_view method, std::string_view target,
                                      std::string_view body, std::string_view content_type);

  std::unique_ptr<http::Client> http_;
  std::string server_;
  std::string token_;
};

}  // namespace ty::cli
