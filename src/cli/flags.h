#pragma once

// Command-line flags: a declarative description per command and a parser
// with the Azure CLI's conventions, so that scripts written for it port over.
// A list flag such as --configuration-settings takes every token up to the
// next flag; any token that no flag takes is a usage error.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty::cli {

enum class FlagKind {
  kValue,   // one value: `--name ws` or `--name=ws`
  kList,    // one or more values up to the next flag; the flag may repeat
  kSwitch,  // no value: `--yes`
};

struct FlagSpec {
  std::string name;                  // canonical long form, "--name"
  std::vector<std::string> aliases;  // other spellings, "-n" or "--workspace-name"
  FlagKind kind = FlagKind::kValue;
  bool required = false;
  bool key_values = false;            // a kList whose values are key=value pairs
  std::vector<std::string> choices;   // accepted values, matched ignoring case; empty: any
  std::string value_name;             // placeholder in help, "NAME"
  std::string help;
};

// The values of the flags given on one command line, under canonical names.
class ParsedFlags {
 public:
  bool Has(std::string_view name) const;
  // Returns the value of a kValue flag, or `fallback` when it is absent.
  std::string Value(std::string_view name, std::string_view fallback = "") const;
  std::optional<std::string> Optional(std::string_view name) const;
  // Returns every value of a kList flag across its occurrences, in order.
  std::vector<std::string> Values(std::string_view name) const;

  void Add(std::string_view name, std::string value);

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Returns a usage error: kInvalidArgument marked so that the CLI exits with
// code 2 and points at --help.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

// Returns the spelling users see in messages: "--cluster-name (-c)".
std::string DisplayName(const FlagSpec& spec);

// Parses `tokens` (the arguments after the command path) against `specs`.
// Usage errors: an unknown flag (with the closest known flag suggested), a
// missing or extra value, a value outside `choices`, a key=value value without
// '=' or with an empty key, a kValue flag given twice with different values, a
// missing required flag, and a token that no flag takes. The message for a
// stray key=value token suggests the command's key=value flags.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs,
                                       const std::vector<std::string>& tokens);

// Splits key=value tokens at the first '='. The value may be empty; the server
// decides whether an empty value is valid for the key. Usage errors, naming
// `flag` and the token: no '=', an empty key, or one key given twice with
// different values.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(
    std::string_view flag, const std::vector<std::string>& tokens);

}  // namespace ty::cli
