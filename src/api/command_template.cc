#include "api/command_template.h"

#include <cctype>
#include <map>
#include <string>

#include <fmt/format.h>

#include "api/job_spec.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace ty::api {
namespace {

constexpr std::string_view kField = "command";

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string KeysOf(const std::map<std::string, std::string>& values) {
  if (values.empty()) return "none";
  std::string keys;
  for (const auto& [key, value] : values) keys += fmt::format("{}{}", keys.empty() ? "" : ", ", key);
  return keys;
}

}  // namespace

absl::StatusOr<std::vector<CommandReference>> FindCommandReferences(std::string_view command) {
  std::vector<CommandReference> references;
  size_t position = 0;
  while ((position = command.find("${{", position)) != std::string_view::npos) {
    size_t close = command.find("}}", position + 3);
    if (close == std::string_view::npos) {
      return InvalidField(kField, fmt::format("unterminated '${{{{' at character {}: close it "
                                              "with '}}}}', as in '${{{{inputs.data}}}}'",
                                              position + 1));
    }
    std::string_view expression = Trim(command.substr(position + 3, close - position - 3));
    CommandReference reference;
    reference.begin = position;
    reference.end = close + 2;

    std::string_view name;
    if (expression.starts_with("inputs.")) {
      reference.kind = ReferenceKind::kInput;
      name = expression.substr(7);
    } else if (expression.starts_with("outputs.")) {
      reference.kind = ReferenceKind::kOutput;
      name = expression.substr(8);
    } else {
      return InvalidField(kField, fmt::format("unsupported expression '${{{{{}}}}}': use "
                                              "${{{{inputs.NAME}}}} or ${{{{outputs.NAME}}}}",
                                              expression));
    }
    if (name.empty()) {
      return InvalidField(kField, fmt::format("missing name in '${{{{{}}}}}': use "
                                              "${{{{inputs.NAME}}}} or ${{{{outputs.NAME}}}}",
                                              expression));
    }
    reference.name = std::string(name);
    references.push_back(std::move(reference));
    position = close + 2;
  }
  return references;
}

absl::StatusOr<std::string> SubstituteCommand(
    std::string_view command, const std::map<std::string, std::string>& input_values,
    const std::map<std::string, std::string>& output_paths) {
  ASSIGN_OR_RETURN(std::vector<CommandReference> references, FindCommandReferences(command));

  std::string result;
  size_t copied = 0;
  for (const CommandReference& reference : references) {
    bool input = reference.kind == ReferenceKind::kInput;
    const std::map<std::string, std::string>& values = input ? input_values : output_paths;
    auto value = values.find(reference.name);
    if (value == values.end()) {
      return InvalidField(kField, fmt::format("'{}' names no {} '{}': declared {} are {}",
                                              command.substr(reference.begin,
                                                             reference.end - reference.begin),
                                              input ? "input" : "output", reference.name,
                                              input ? "inputs" : "outputs", KeysOf(values)));
    }
    result.append(command.substr(copied, reference.begin - copied));
    result.append(value->second);
    copied = reference.end;
  }
  result.append(command.substr(copied));
  return result;
}

}  // namespace ty::api
