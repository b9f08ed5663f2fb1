#include "api/names.h"

#include <cctype>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"

namespace ty::api {
namespace {

bool IsNameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Describes a character for an error message; control and non-ASCII bytes
// are shown as hex so the message stays printable.
std::string DescribeCharacter(char c) {
  unsigned char byte = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (std::isprint(byte)) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", byte);
}

}  // namespace

absl::Status ValidateName(std::string_view kind, std::string_view field, std::string_view name) {
  constexpr std::string_view kRule =
      "use 1 to 63 letters, digits, '-' or '_', starting with a letter or digit";
  if (name.empty()) return InvalidField(field, fmt::format("missing {} name: {}", kind, kRule));
  if (name.size() > kMaxNameLength) {
    return InvalidField(field, fmt::format("invalid {} name '{}': it has {} characters: {}", kind,
                                           name, name.size(), kRule));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    bool first = i == 0;
    if (IsNameCharacter(name[i]) && !(first && (name[i] == '-' || name[i] == '_'))) continue;
    std::string position = first ? "at the start" : fmt::format("at position {}", i + 1);
    return InvalidField(field, fmt::format("invalid {} name '{}': {} {} is not allowed: {}", kind,
                                           name, DescribeCharacter(name[i]), position, kRule));
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespaceName(std::string_view field, std::string_view name) {
  constexpr size_t kMaxNamespaceLength = 63;
  bool valid = !name.empty() && name.size() <= kMaxNamespaceLength &&
               std::isalnum(static_cast<unsigned char>(name.front())) &&
               std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (valid) return absl::OkStatus();
  return InvalidField(field,
                      fmt::format("invalid namespace '{}'; use 1 to 63 lowercase letters, digits "
                                  "and '-', starting and ending with a letter or digit",
                                  name));
}

}  // namespace ty::api
