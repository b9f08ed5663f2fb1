#include "server/tracking_body.h"

#include <charconv>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "server/route_util.h"

namespace ty::server {

absl::Status CheckTrackingBodySize(const http::Request& request) {
  if (request.body.size() <= kMaxJsonBodyBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(fmt::format(
      "request body has {} bytes but the limit is {} bytes: split the data across batches",
      request.body.size(), kMaxJsonBodyBytes));
}

absl::StatusOr<nlohmann::json> ParseTrackingBody(const http::Request& request) {
  RETURN_IF_ERROR(CheckTrackingBodySize(request));
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::out_of_range& error) {
    // A number beyond double's range, such as 1e400.
    return absl::InvalidArgumentError(fmt::format(
        "request body has a number out of range: {}: send numbers within double's range",
        error.what()));
  } catch (const nlohmann::json::parse_error& error) {
    // The library's message names what it expected. Its prefix repeats the
    // exception's class and position, so it is cut.
    std::string_view detail = error.what();
    size_t syntax = detail.find("syntax error");
    if (syntax != std::string_view::npos) detail.remove_prefix(syntax);
    return absl::InvalidArgumentError(
        fmt::format("request body is not valid JSON: byte {}: {}: send a JSON object", error.byte,
                    detail));
  }
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("request body is a JSON {}: send a JSON object", body.type_name()));
  }
  return body;
}

absl::StatusOr<store::Artifact> ArtifactFromJson(const nlohmann::json& body) {
  store::Artifact artifact;
  auto path = body.find("path");
  if (path == body.end() || !path->is_string() || path->get_ref<const std::string&>().empty()) {
    return InvalidField("path", "missing artifact path: set \"path\" to a relative path such as "
                                "\"model/model.pt\"");
  }
  artifact.path = path->get<std::string>();
  // The CLI writes each artifact to a file of this name, so the name must
  // be one it accepts on every system: no backslash, no control character.
  for (unsigned char c : artifact.path) {
    if (c == '\\' || c < 0x20 || c == 0x7f) {
      return InvalidField("path", fmt::format("invalid artifact path '{}': it contains {}; use "
                                              "'/' between folders and printable characters",
                                              log::EscapeForLog(artifact.path),
                                              c == '\\' ? "a backslash"
                                                         : fmt::format("byte 0x{:02x}", c)));
    }
  }
  for (size_t start = 0; start <= artifact.path.size();) {
    size_t end = artifact.path.find('/', start);
    if (end == std::string::npos) end = artifact.path.size();
    std::string_view segment = std::string_view(artifact.path).substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidField("path", fmt::format("invalid artifact path '{}': use a relative path "
                                              "without empty, '.' or '..' segments",
                                              artifact.path));
    }
    start = end + 1;
  }

  auto digest = body.find("digest");
  if (digest == body.end() || !digest->is_string()) {
    return InvalidField("digest", "missing digest: set \"digest\" to the one POST /api/v1/blobs "
                                  "returned");
  }
  artifact.digest = digest->get<std::string>();
  auto size = body.find("size");
  if (size == body.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return InvalidField("size", "missing or invalid size: set \"size\" to the file's byte count");
  }
  artifact.size = size->get<int64_t>();
  return artifact;
}

absl::StatusOr<nlohmann::json> PageOfRuns(
    const std::vector<store::TrackingRun>& runs, const store::PageRequest& page,
    const std::function<nlohmann::json(const store::TrackingRun&)>& to_json) {
  size_t offset = 0;
  if (!page.page_token.empty()) {
    ASSIGN_OR_RETURN(std::string key, store::DecodePageToken("runs", page.page_token));
    auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), offset);
    if (error != std::errc() || end != key.data() + key.size()) {
      return InvalidField("pageToken", "invalid page token: pass the nextPageToken of the "
                                       "previous page unchanged");
    }
  }
  nlohmann::json items = nlohmann::json::array();
  size_t stop = std::min(runs.size(), offset + static_cast<size_t>(page.page_size));
  for (size_t i = offset; i < stop; ++i) items.push_back(to_json(runs[i]));
  std::string next = stop < runs.size() ? store::EncodePageToken("runs", std::to_string(stop)) : "";
  return ListJson(std::move(items), next);
}

}  // namespace ty::server
