#pragma once

// Output formats of every command (`--output table|json|yaml|none`) and
// helpers that turn resource JSON into table cells.

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"

namespace ty::cli {

enum class OutputFormat { kTable, kJson, kYaml, kNone };

// The accepted spellings of --output, in help order.
inline constexpr std::string_view kOutputFormats[] = {"table", "json", "yaml", "none"};

// Parses one of kOutputFormats. kInvalidArgument otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view text);

// Returns `value` as JSON indented by two spaces, ending in '\n'.
std::string ToJsonText(const nlohmann::json& value);

// Returns `value` as a YAML document ending in '\n'. Strings that YAML would
// read as another type ("True", "10", "null", "") are quoted, so the types
// survive a round trip.
std::string ToYamlText(const nlohmann::json& value);

// Writes `value` to `out` in `format`; kTable writes what `render_table`
// returns, and kNone writes nothing.
void PrintValue(std::ostream& out, OutputFormat format, const nlohmann::json& value,
                const std::function<std::string()>& render_table);

// Returns the scalar at the dotted `path` inside `value` ("properties.kind")
// as cell text: strings as they are, numbers and booleans as JSON writes
// them, objects and arrays as compact JSON, and "" when the path is absent
// or null.
std::string FieldText(const nlohmann::json& value, std::string_view path);

// Returns a JSON scalar as cell text, by the rules of FieldText.
std::string ScalarText(const nlohmann::json& value);

// One column of a resource table: its header and the FieldText path of its
// cells.
struct Column {
  std::string header;
  std::string path;
};

// Renders `items` (a JSON array of resources) as a table, one row each.
std::string RenderList(const nlohmann::json& items, const std::vector<Column>& columns);

// Renders one resource as aligned "Header:  value" lines.
std::string RenderOne(const nlohmann::json& resource, const std::vector<Column>& columns);

}  // namespace ty::cli
