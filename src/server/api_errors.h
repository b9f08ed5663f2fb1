#pragma once

// The REST API's one error shape and its one mapping from absl status codes
// to HTTP statuses:
//
//   {"error": {"code": "InvalidArgument", "message": "...", "field": "name"}}
//
// InvalidArgument 400, Unauthenticated 401, PermissionDenied 403, NotFound
// 404, AlreadyExists 409, FailedPrecondition 409, Aborted 412,
// ResourceExhausted 413, Unavailable 503, anything else 500 Internal.

#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "common/http/message.h"

namespace ty::server {

// The HTTP status for an absl code.
int HttpStatusFor(absl::StatusCode code);

// The API's name for an absl code, e.g. "FailedPrecondition"; "Internal" for
// codes outside the documented set.
std::string_view ErrorCodeName(absl::StatusCode code);

// Builds the error response for a non-OK status. The field comes from
// ErrorField(status) when the status carries one. Internal errors are logged
// and their message replaced, so store details do not reach clients.
http::Response ErrorResponse(const absl::Status& status);

// Builds a JSON response with `status`.
http::Response JsonResponse(int status, const nlohmann::json& body);

}  // namespace ty::server
