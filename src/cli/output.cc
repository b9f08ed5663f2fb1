#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "cli/table.h"

namespace ty::cli {
namespace {

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// Whether YAML 1.1 or 1.2 would read `text`, written plain, as something
// other than this string.
bool NeedsQuotes(const std::string& text) {
  if (text.empty()) return true;
  static const char* kSpecialWords[] = {"true", "false", "yes", "no", "on", "off",
                                        "y",    "n",     "null", "~",  ".nan", ".inf", "-.inf"};
  std::string lower = Lowercase(text);
  for (const char* word : kSpecialWords) {
    if (lower == word) return true;
  }
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  if (end != nullptr && *end == '\0') return true;
  return text.front() == ' ' || text.back() == ' ';
}

void Emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case nlohmann::json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const nlohmann::json& item : value) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case nlohmann::json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      if (NeedsQuotes(text)) out << YAML::DoubleQuoted;
      out << text;
      return;
    }
    case nlohmann::json::value_t::boolean:
      out << YAML::TrueFalseBool << YAML::LowerCase << value.get<bool>();
      return;
    case nlohmann::json::value_t::number_integer:
      out << value.get<int64_t>();
      return;
    case nlohmann::json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      return;
    case nlohmann::json::value_t::number_float:
      out << value.get<double>();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view text) {
  std::string lower = Lowercase(text);
  if (lower == "table") return OutputFormat::kTable;
  if (lower == "json") return OutputFormat::kJson;
  if (lower == "yaml") return OutputFormat::kYaml;
  if (lower == "none") return OutputFormat::kNone;
  return absl::InvalidArgumentError(
      fmt::format("invalid output format '{}'; expected table, json, yaml or none", text));
}

std::string ToJsonText(const nlohmann::json& value) {
  return value.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

std::string ToYamlText(const nlohmann::json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

void PrintValue(std::ostream& out, OutputFormat format, const nlohmann::json& value,
                const std::function<std::string()>& render_table) {
  // An empty response, such as that of a delete, prints nothing as JSON or YAML.
  if (value.is_null() && format != OutputFormat::kTable) return;
  switch (format) {
    case OutputFormat::kTable:
      out << render_table();
      break;
    case OutputFormat::kJson:
      out << ToJsonText(value);
      break;
    case OutputFormat::kYaml:
      out << ToYamlText(value);
      break;
    case OutputFormat::kNone:
      break;
  }
  out.flush();
}

std::string ScalarText(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string FieldText(const nlohmann::json& value, std::string_view path) {
  const nlohmann::json* current = &value;
  for (absl::string_view key : absl::StrSplit(std::string(path), '.')) {
    if (!current->is_object()) return "";
    auto it = current->find(std::string(key));
    if (it == current->end()) return "";
    current = &*it;
  }
  return ScalarText(*current);
}

std::string RenderList(const nlohmann::json& items, const std::vector<Column>& columns) {
  std::vector<std::string> headers;
  for (const Column& column : columns) headers.push_back(column.header);
  Table table(std::move(headers));
  for (const nlohmann::json& item : items) {
    std::vector<std::string> cells;
    for (const Column& column : columns) cells.push_back(FieldText(item, column.path));
    table.AddRow(std::move(cells));
  }
  return table.Render();
}

std::string RenderOne(const nlohmann::json& resource, const std::vector<Column>& columns) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const Column& column : columns) {
    fields.emplace_back(column.header, FieldText(resource, column.path));
  }
  return RenderFields(fields);
}

}  // namespace ty::cli
