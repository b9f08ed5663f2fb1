#pragma once

// Errors that name the input field at fault. The REST layer turns such a
// status into {"error": {"code", "message", "field"}}, and the CLI prints the
// message, which already starts with the field path.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ty {

// Type URL of the status payload that carries the field path.
inline constexpr char kFieldPayloadUrl[] = "trainyard/field";

// Returns a status with `code` and the message "<field>: <message>", carrying
// `field` as a payload under kFieldPayloadUrl. An empty `field` gives a plain
// status with `message` and no payload. `code` must not be kOk.
absl::Status FieldError(absl::StatusCode code, std::string_view field, std::string_view message);

// Shorthand for FieldError(absl::StatusCode::kInvalidArgument, field, message).
absl::Status InvalidField(std::string_view field, std::string_view message);

// Returns the field path carried by `status`, or "" when it carries none.
std::string ErrorField(const absl::Status& status);

// Re-roots a field error under `parent`: field "cpu" becomes
// "<parent>.cpu" in both the payload and the message prefix. A status
// without a field gets field `parent` and the prefix "<parent>: ". An OK
// status and an empty `parent` are returned unchanged.
absl::Status NestFieldError(std::string_view parent, const absl::Status& status);

}  // namespace ty
