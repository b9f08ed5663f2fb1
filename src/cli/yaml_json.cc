#include "cli/yaml_json.h"

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace ty::cli {
namespace {

nlohmann::json PlainScalar(const std::string& text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true") return true;
  if (lower == "false") return false;
  if (lower == "null" || lower == "~" || text.empty()) return nullptr;
  int64_t integer = 0;
  if (absl::SimpleAtoi(text, &integer)) return integer;
  double number = 0;
  if (text.find_first_of("0123456789") != std::string::npos && absl::SimpleAtod(text, &number)) {
    return number;
  }
  return text;
}

nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = ToJson(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(ToJson(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      if (node.Tag() == "!") return node.Scalar();
      return PlainScalar(node.Scalar());
    default:
      return nullptr;
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseYaml(std::string_view text, std::string_view source) {
  try {
    return ToJson(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(fmt::format("invalid YAML in '{}' at line {}, column {}: {}",
                                                  source, error.mark.line + 1,
                                                  error.mark.column + 1, error.msg));
  }
}

}  // namespace ty::cli
