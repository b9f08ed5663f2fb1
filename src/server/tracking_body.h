#pragma once

// Request and response helpers of the native tracking routes
// (tracking_routes.cc).

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/http/message.h"
#include "store/job_logs.h"
#include "store/resources.h"
#include "store/tracking_runs.h"

namespace ty::server {

// Parses the body as a JSON object of at most 1 MiB. Unlike
// ParseJsonObject it accepts any keys (the tracking parsers check them) and
// reports where malformed JSON breaks. Errors: kResourceExhausted over the
// size limit, kInvalidArgument for malformed JSON naming the byte offset, or
// for a body that is not an object.
absl::StatusOr<nlohmann::json> ParseTrackingBody(const http::Request& request);

// Checks that the body is at most 1 MiB, the limit of JSON bodies.
// Errors: kResourceExhausted naming both sizes.
absl::Status CheckTrackingBodySize(const http::Request& request);

// Reads {"path", "digest", "size"}. The path must be relative, use '/' and
// stay inside the job's outputs (no empty, "." or ".." segment). Errors:
// kInvalidArgument naming the field.
absl::StatusOr<store::Artifact> ArtifactFromJson(const nlohmann::json& body);

// One page of `runs` as {"items", "nextPageToken"}, each item made by
// `to_json`. Errors: kInvalidArgument (field "pageToken") for a token not
// issued here.
absl::StatusOr<nlohmann::json> PageOfRuns(
    const std::vector<store::TrackingRun>& runs, const store::PageRequest& page,
    const std::function<nlohmann::json(const store::TrackingRun&)>& to_json);

}  // namespace ty::server
