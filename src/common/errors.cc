#include "common/errors.h"

#include <string>

#include <fmt/format.h>

#include "absl/strings/cord.h"

namespace ty {

absl::Status FieldError(absl::StatusCode code, std::string_view field, std::string_view message) {
  if (field.empty()) return absl::Status(code, std::string(message));
  absl::Status status(code, fmt::format("{}: {}", field, message));
  status.SetPayload(kFieldPayloadUrl, absl::Cord(std::string(field)));
  return status;
}

absl::Status InvalidField(std::string_view field, std::string_view message) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, message);
}

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadUrl);
  if (!payload) return "";
  return std::string(*payload);
}

absl::Status NestFieldError(std::string_view parent, const absl::Status& status) {
  if (status.ok() || parent.empty()) return status;

  std::string field = ErrorField(status);
  std::string_view message(status.message().data(), status.message().size());
  if (field.empty()) return FieldError(status.code(), parent, message);

  // Drop the old "<field>: " prefix so the message names the full path once.
  std::string prefix = field + ": ";
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  return FieldError(status.code(), fmt::format("{}.{}", parent, field), message);
}

}  // namespace ty
