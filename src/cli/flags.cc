#include "cli/flags.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace ty::cli {
namespace {

constexpr absl::string_view kUsagePayloadUrl = "trainyard/cli-usage";

bool IsNumber(std::string_view token) {
  if (token.starts_with('-')) token.remove_prefix(1);
  if (token.empty()) return false;
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
}

// Negative numbers are values, as in Python's argparse, which the Azure CLI
// uses; anything else that starts with '-' is a flag.
bool LooksLikeFlag(std::string_view token) {
  return token.size() >= 2 && token[0] == '-' && !IsNumber(token);
}

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs, std::string_view spelling) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == spelling) return &spec;
    if (std::find(spec.aliases.begin(), spec.aliases.end(), spelling) != spec.aliases.end()) {
      return &spec;
    }
  }
  return nullptr;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string QuoteAll(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& value : values) quoted.push_back(fmt::format("'{}'", value));
  return absl::StrJoin(quoted, ", ");
}

absl::Status UnknownFlagError(const std::vector<FlagSpec>& specs, std::string_view spelling) {
  std::vector<std::string> candidates;
  for (const FlagSpec& spec : specs) {
    candidates.push_back(spec.name);
    for (const std::string& alias : spec.aliases) {
      if (alias.size() > 2) candidates.push_back(alias);
    }
  }
  std::optional<std::string> closest = ClosestMatch(spelling, candidates);
  if (closest) {
    return UsageError(fmt::format("unknown flag '{}'; did you mean '{}'?", spelling, *closest));
  }
  return UsageError(fmt::format("unknown flag '{}'", spelling));
}

// Returns the accepted spelling of `value` when `spec` restricts its values.
absl::StatusOr<std::string> CheckChoice(const FlagSpec& spec, const std::string& value) {
  if (spec.choices.empty()) return value;
  for (const std::string& choice : spec.choices) {
    if (EqualsIgnoreCase(choice, value)) return choice;
  }
  std::string expected = spec.choices.size() == 1
                             ? spec.choices.front()
                             : fmt::format("one of {}", absl::StrJoin(spec.choices, ", "));
  return UsageError(
      fmt::format("invalid value '{}' for {}; expected {}", value, DisplayName(spec), expected));
}

// Builds the error for tokens that no flag took. `previous` is the flag
// consumed just before the first stray token, with the text it consumed.
absl::Status StrayArgumentsError(const std::vector<FlagSpec>& specs,
                                 const std::vector<std::string>& strays, const FlagSpec* previous,
                                 const std::string& previous_text) {
  std::string message = fmt::format("unexpected argument{} {}", strays.size() > 1 ? "s" : "",
                                    QuoteAll(strays));
  if (previous == nullptr) {
    message += "; this command takes no positional arguments";
  } else if (previous->kind == FlagKind::kSwitch) {
    message += fmt::format(" after '{}', which takes no value", previous_text);
  } else {
    message += fmt::format(" after '{}', which takes one value", previous_text);
  }

  bool has_key_value = std::any_of(strays.begin(), strays.end(), [](const std::string& token) {
    return token.find('=') != std::string::npos;
  });
  std::vector<std::string> key_value_flags;
  for (const FlagSpec& spec : specs) {
    if (spec.key_values) key_value_flags.push_back(spec.name);
  }
  if (has_key_value && !key_value_flags.empty()) {
    message += fmt::format("; to pass a key=value pair, put it after {}",
                           absl::StrJoin(key_value_flags, " or "));
  }
  return UsageError(message);
}

absl::Status CheckRequired(const std::vector<FlagSpec>& specs, const ParsedFlags& parsed) {
  std::vector<std::string> missing;
  for (const FlagSpec& spec : specs) {
    if (spec.required && !parsed.Has(spec.name)) missing.push_back(DisplayName(spec));
  }
  if (missing.empty()) return absl::OkStatus();
  return UsageError(fmt::format("missing required flag{} {}", missing.size() > 1 ? "s" : "",
                                absl::StrJoin(missing, ", ")));
}

}  // namespace

bool ParsedFlags::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::string ParsedFlags::Value(std::string_view name, std::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::optional<std::string> ParsedFlags::Optional(std::string_view name) const {
  if (!Has(name)) return std::nullopt;
  return Value(name);
}

std::vector<std::string> ParsedFlags::Values(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

void ParsedFlags::Add(std::string_view name, std::string value) {
  auto it = values_.find(name);
  if (it == values_.end()) it = values_.emplace(std::string(name), std::vector<std::string>()).first;
  it->second.push_back(std::move(value));
}

absl::Status UsageError(std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(std::string(message));
  status.SetPayload(kUsagePayloadUrl, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayloadUrl).has_value();
}

std::string DisplayName(const FlagSpec& spec) {
  std::vector<std::string> short_forms;
  for (const std::string& alias : spec.aliases) {
    if (alias.size() == 2) short_forms.push_back(alias);
  }
  if (short_forms.empty()) return spec.name;
  return fmt::format("{} ({})", spec.name, absl::StrJoin(short_forms, ", "));
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                       const std::vector<std::string>& tokens) {
  ParsedFlags parsed;
  std::vector<std::string> strays;
  const FlagSpec* previous = nullptr;
  std::string previous_text;
  const FlagSpec* before_stray = nullptr;
  std::string before_stray_text;

  size_t i = 0;
  while (i < tokens.size()) {
    const std::string& token = tokens[i++];
    if (!LooksLikeFlag(token)) {
      if (strays.empty()) {
        before_stray = previous;
        before_stray_text = previous_text;
      }
      strays.push_back(token);
      continue;
    }

    // Long flags may carry their value inline: --name=ws.
    std::string spelling = token;
    std::optional<std::string> inline_value;
    size_t equals = token.find('=');
    if (token.starts_with("--") && equals != std::string::npos) {
      spelling = token.substr(0, equals);
      inline_value = token.substr(equals + 1);
    }
    const FlagSpec* spec = FindSpec(specs, spelling);
    if (spec == nullptr) return UnknownFlagError(specs, spelling);

    std::vector<std::string> values;
    if (inline_value) {
      values.push_back(*inline_value);
    } else if (spec->kind != FlagKind::kSwitch) {
      // A kValue flag takes one token; a kList flag takes all up to the next flag.
      while (i < tokens.size() && !LooksLikeFlag(tokens[i])) {
        values.push_back(tokens[i++]);
        if (spec->kind == FlagKind::kValue) break;
      }
    }

    switch (spec->kind) {
      case FlagKind::kSwitch:
        if (inline_value) {
          return UsageError(fmt::format("{} takes no value, but got '{}'", spec->name, *inline_value));
        }
        if (!parsed.Has(spec->name)) parsed.Add(spec->name, "true");
        break;
      case FlagKind::kValue: {
        if (values.empty()) {
          return UsageError(fmt::format("missing value for {}; expected {} {}", spelling, spelling,
                                        spec->value_name.empty() ? "VALUE" : spec->value_name));
        }
        ASSIGN_OR_RETURN(std::string value, CheckChoice(*spec, values.front()));
        if (parsed.Has(spec->name)) {
          if (parsed.Value(spec->name) != value) {
            return UsageError(fmt::format("{} given twice ('{}' and '{}'); give it once",
                                          spec->name, parsed.Value(spec->name), value));
          }
        } else {
          parsed.Add(spec->name, value);
        }
        break;
      }
      case FlagKind::kList:
        if (values.empty()) {
          return UsageError(fmt::format("missing value for {}; expected one or more {}", spelling,
                                        spec->key_values ? "KEY=VALUE pairs" : "values"));
        }
        for (std::string& value : values) {
          ASSIGN_OR_RETURN(value, CheckChoice(*spec, value));
          parsed.Add(spec->name, value);
        }
        break;
    }
    previous = spec;
    previous_text = values.empty() || inline_value ? token : fmt::format("{} {}", token, values.back());
  }

  if (!strays.empty()) return StrayArgumentsError(specs, strays, before_stray, before_stray_text);
  for (const FlagSpec& spec : specs) {
    if (spec.key_values && parsed.Has(spec.name)) {
      RETURN_IF_ERROR(ParseKeyValues(spec.name, parsed.Values(spec.name)).status());
    }
  }
  RETURN_IF_ERROR(CheckRequired(specs, parsed));
  return parsed;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(
    std::string_view flag, const std::vector<std::string>& tokens) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& token : tokens) {
    size_t equals = token.find('=');
    if (equals == std::string::npos) {
      return UsageError(fmt::format("invalid value '{}' for {}; expected KEY=VALUE, such as '{}=VALUE'",
                                    token, flag, token));
    }
    if (equals == 0) {
      return UsageError(fmt::format("invalid value '{}' for {}; the key before '=' is empty", token, flag));
    }
    std::string key = token.substr(0, equals);
    std::string value = token.substr(equals + 1);
    auto same_key = std::find_if(pairs.begin(), pairs.end(),
                                 [&](const auto& pair) { return pair.first == key; });
    if (same_key == pairs.end()) {
      pairs.emplace_back(std::move(key), std::move(value));
    } else if (same_key->second != value) {
      // The values stay out of the message because protected settings are secrets.
      return UsageError(fmt::format("key '{}' given twice for {} with different values; give it once",
                                    key, flag));
    }
  }
  return pairs;
}

}  // namespace ty::cli
