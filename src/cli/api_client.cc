#include "cli/api_client.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/cord.h"
#include "common/errors.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

constexpr size_t kMaxPageSize = 1000;
constexpr size_t kMaxQuotedBody = 200;

absl::StatusCode CodeFromName(std::string_view name) {
  static const std::pair<std::string_view, absl::StatusCode> kCodes[] = {
      {"InvalidArgument", absl::StatusCode::kInvalidArgument},
      {"Unauthenticated", absl::StatusCode::kUnauthenticated},
      {"PermissionDenied", absl::StatusCode::kPermissionDenied},
      {"NotFound", absl::StatusCode::kNotFound},
      {"AlreadyExists", absl::StatusCode::kAlreadyExists},
      {"FailedPrecondition", absl::StatusCode::kFailedPrecondition},
      {"Aborted", absl::StatusCode::kAborted},
      {"ResourceExhausted", absl::StatusCode::kResourceExhausted},
      {"Unavailable", absl::StatusCode::kUnavailable},
      {"Internal", absl::StatusCode::kInternal},
      {"Unimplemented", absl::StatusCode::kUnimplemented},
      {"DeadlineExceeded", absl::StatusCode::kDeadlineExceeded},
  };
  for (const auto& [code_name, code] : kCodes) {
    if (code_name == name) return code;
  }
  return absl::StatusCode::kUnknown;
}

absl::StatusCode CodeFromHttpStatus(int status) {
  switch (status) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kFailedPrecondition;
    case 412: return absl::StatusCode::kAborted;
    case 413: return absl::StatusCode::kResourceExhausted;
    case 503: return absl::StatusCode::kUnavailable;
    default: return absl::StatusCode::kInternal;
  }
}

std::string AppendQuery(std::string_view target, std::string_view parameter) {
  char separator = target.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}{}", target, separator, parameter);
}

absl::StatusOr<nlohmann::json> ParseBody(const http::Response& response) {
  if (response.body.empty()) return nlohmann::json();
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(fmt::format("the server returned a body that is not JSON: {}",
                                           response.body.substr(0, kMaxQuotedBody)));
  }
  return json;
}

}  // namespace

std::string ApiPath(std::initializer_list<std::string_view> segments) {
  std::string path = "/api/v1";
  for (std::string_view segment : segments) path += "/" + http::PercentEncode(segment);
  return path;
}

absl::Status StatusFromResponse(const http::Response& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const nlohmann::json& error = body["error"];
    std::string code_name = error.value("code", "");
    absl::StatusCode code = CodeFromName(code_name);
    if (code == absl::StatusCode::kUnknown) code = CodeFromHttpStatus(response.status);
    std::string message = error.value("message", "");
    if (message.empty()) message = fmt::format("the server returned HTTP {}", response.status);
    absl::Status status(code, message);
    std::string field = error.contains("field") && error["field"].is_string()
                            ? error["field"].get<std::string>()
                            : "";
    if (!field.empty()) {
      status.SetPayload(kFieldPayloadUrl, absl::Cord(field));
    }
    return status;
  }

  std::string text = response.body.substr(0, kMaxQuotedBody);
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::string message = text.empty()
                            ? fmt::format("the server returned HTTP {}", response.status)
                            : fmt::format("the server returned HTTP {}: {}", response.status, text);
  return absl::Status(CodeFromHttpStatus(response.status), message);
}

ApiClient::ApiClient(std::unique_ptr<http::Client> http, std::string server, std::string token)
    : http_(std::move(http)), server_(std::move(server)), token_(std::move(token)) {}

absl::StatusOr<http::Response> ApiClient::Send(std::string_view method, std::string_view target,
                                               std::string_view body,
                                               std::string_view content_type) {
  http::Headers headers = {{"Accept", "application/json"}};
  if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
  absl::StatusOr<http::Response> response = http_->Send(method, target, body, content_type, headers);
  if (!response.ok()) {
    return absl::Status(
        response.status().code(),
        fmt::format("cannot reach the server at '{}': {}; check that it is running and that "
                    "--server, TRAINYARD_SERVER or `trainyard login` point at it",
                    server_, std::string(response.status().message())));
  }
  if (response->status < 200 || response->status >= 300) return StatusFromResponse(*response);
  return response;
}

absl::StatusOr<nlohmann::json> ApiClient::Get(std::string_view target) {
  ASSIGN_OR_RETURN(http::Response response, Send("GET", target, "", "application/json"));
  return ParseBody(response);
}

absl::StatusOr<nlohmann::json> ApiClient::Post(std::string_view target, const nlohmann::json& body) {
  return PostBody(target, body.dump(), "application/json");
}

absl::StatusOr<nlohmann::json> ApiClient::PostBody(std::string_view target, std::string_view body,
                                                   std::string_view content_type) {
  ASSIGN_OR_RETURN(http::Response response, Send("POST", target, body, content_type));
  return ParseBody(response);
}

absl::StatusOr<nlohmann::json> ApiClient::Patch(std::string_view target,
                                                const nlohmann::json& body) {
  ASSIGN_OR_RETURN(http::Response response, Send("PATCH", target, body.dump(), "application/json"));
  return ParseBody(response);
}

absl::StatusOr<nlohmann::json> ApiClient::Delete(std::string_view target) {
  ASSIGN_OR_RETURN(http::Response response, Send("DELETE", target, "", "application/json"));
  return ParseBody(response);
}

absl::StatusOr<std::string> ApiClient::GetBytes(std::string_view target) {
  ASSIGN_OR_RETURN(http::Response response, Send("GET", target, "", "application/json"));
  return std::move(response.body);
}

absl::StatusOr<nlohmann::json> ApiClient::ListAll(std::string_view target,
                                                  std::optional<int64_t> max_items) {
  nlohmann::json items = nlohmann::json::array();
  std::string page_token;
  while (!max_items || static_cast<int64_t>(items.size()) < *max_items) {
    size_t page_size = kMaxPageSize;
    if (max_items) page_size = std::min<size_t>(page_size, *max_items - items.size());
    std::string page_target = AppendQuery(target, fmt::format("pageSize={}", page_size));
    if (!page_token.empty()) {
      page_target = AppendQuery(page_target, "pageToken=" + http::PercentEncode(page_token));
    }

    ASSIGN_OR_RETURN(nlohmann::json page, Get(page_target));
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array()) {
      return absl::InternalError(
          fmt::format("the server returned a list without \"items\" for '{}'", target));
    }
    for (nlohmann::json& item : page["items"]) {
      if (max_items && static_cast<int64_t>(items.size()) >= *max_items) break;
      items.push_back(std::move(item));
    }

    page_token = page.contains("nextPageToken") && page["nextPageToken"].is_string()
                     ? page["nextPageToken"].get<std::string>()
                     : "";
    if (page_token.empty()) break;
  }
  return items;
}

}  // namespace ty::cli
