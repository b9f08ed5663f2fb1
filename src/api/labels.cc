#include "api/labels.h"

#include <cctype>

namespace ty::api {

bool IsLabelName(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  auto alphanumeric = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alphanumeric(text.front()) || !alphanumeric(text.back())) return false;
  for (char c : text) {
    if (!alphanumeric(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsLabelKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return IsLabelName(key);
  std::string_view prefix = key.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  for (char c : prefix) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return false;
    }
  }
  return IsLabelName(key.substr(slash + 1));
}

}  // namespace ty::api
