#pragma once

// `${{inputs.NAME}}` and `${{outputs.NAME}}` references in a job command.
// ParseJobSpec checks them and SubstituteCommand (job_spec.h) replaces them.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::api {

enum class ReferenceKind { kInput, kOutput };

// One `${{...}}` occurrence: `command.substr(begin, end - begin)` is the whole
// reference, braces included.
struct CommandReference {
  ReferenceKind kind;
  std::string name;
  size_t begin = 0;
  size_t end = 0;
};

// Returns the references in `command` in order. Whitespace inside the braces
// is allowed (`${{ inputs.data }}`). Errors: kInvalidArgument with field
// "command" for an unterminated `${{`, an expression other than
// inputs.NAME or outputs.NAME, or an empty name.
absl::StatusOr<std::vector<CommandReference>> FindCommandReferences(std::string_view command);

}  // namespace ty::api
