#include "api/yaml_fields.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace ty::api {

absl::StatusOr<YAML::Node> LoadYamlDocument(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& error) {
    return absl::InvalidArgumentError(fmt::format("invalid YAML at line {}, column {}: {}: fix "
                                                  "the syntax there",
                                                  error.mark.line + 1, error.mark.column + 1,
                                                  error.msg));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("invalid YAML: {}", error.msg));
  }
}

std::string JoinFieldPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string DescribeNode(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("'{}'", node.Scalar());
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "an empty value";
}

absl::Status CheckMapping(const YAML::Node& node, std::string_view field,
                          const std::vector<std::string>& allowed) {
  if (!node.IsMap()) {
    return InvalidField(field, fmt::format("expected a mapping with keys such as '{}', got {}",
                                           allowed.front(), DescribeNode(node)));
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return InvalidField(field, fmt::format("keys must be plain names, got {}",
                                             DescribeNode(entry.first)));
    }
    const std::string& key = entry.first.Scalar();
    std::string key_field = JoinFieldPath(field, key);
    if (!seen.insert(key).second) {
      return InvalidField(key_field, fmt::format("duplicate key '{}': give it once", key));
    }
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::optional<std::string> closest = ClosestMatch(key, allowed);
    if (closest) {
      return InvalidField(key_field,
                          fmt::format("unknown field '{}': did you mean '{}'?", key, *closest));
    }
    return InvalidField(key_field, fmt::format("unknown field '{}': valid fields are {}", key,
                                               fmt::join(allowed, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadScalar(const YAML::Node& node, std::string_view field,
                                       bool allow_empty) {
  if (node.IsScalar()) return node.Scalar();
  if (!node.IsDefined() || node.IsNull()) {
    if (allow_empty) return std::string();
    return InvalidField(field, "missing value: give a string");
  }
  return InvalidField(field, fmt::format("expected a string, got {}", DescribeNode(node)));
}

absl::StatusOr<int64_t> ReadInteger(const YAML::Node& node, std::string_view field,
                                    int64_t minimum, int64_t maximum) {
  std::string range = maximum == std::numeric_limits<int64_t>::max()
                          ? fmt::format("use a whole number of at least {}", minimum)
                          : fmt::format("use a whole number from {} to {}", minimum, maximum);
  if (!node.IsScalar()) {
    return InvalidField(field, fmt::format("expected a number, got {}: {}", DescribeNode(node),
                                           range));
  }
  const std::string& text = node.Scalar();
  std::string_view digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative || (!digits.empty() && digits.front() == '+')) digits.remove_prefix(1);

  bool numeric = !digits.empty() && digits.size() <= 18 &&
                 std::all_of(digits.begin(), digits.end(),
                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!numeric) {
    return InvalidField(field, fmt::format("invalid number '{}': {}", text, range));
  }
  int64_t value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  if (negative) value = -value;
  if (value < minimum || value > maximum) {
    return InvalidField(field, fmt::format("invalid value {}: {}", value, range));
  }
  return value;
}

absl::StatusOr<std::map<std::string, std::string>> ReadScalarMap(const YAML::Node& node,
                                                                 std::string_view field) {
  std::map<std::string, std::string> values;
  if (!node.IsDefined() || node.IsNull()) return values;
  if (!node.IsMap()) {
    return InvalidField(field, fmt::format("expected a mapping of names to values, got {}",
                                           DescribeNode(node)));
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return InvalidField(field, fmt::format("keys must be plain names, got {}",
                                             DescribeNode(entry.first)));
    }
    const std::string& key = entry.first.Scalar();
    std::string key_field = JoinFieldPath(field, key);
    if (values.contains(key)) {
      return InvalidField(key_field, fmt::format("duplicate key '{}': give it once", key));
    }
    if (entry.second.IsMap() || entry.second.IsSequence()) {
      return InvalidField(key_field, fmt::format("expected a plain value, got {}",
                                                 DescribeNode(entry.second)));
    }
    values[key] = entry.second.IsScalar() ? entry.second.Scalar() : "";
  }
  return values;
}

}  // namespace ty::api
