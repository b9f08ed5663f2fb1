#pragma once

// A forward-only reader of JSON text for hot paths that must not build a
// tree: the caller walks the grammar (objects, arrays, scalars) and the
// cursor checks each token. Strings without escapes are returned as views
// into the text, so reading allocates only for escaped strings.
//
// The cursor accepts exactly RFC 8259 JSON (no comments, no trailing
// commas, no NaN literals). It does not check that strings are valid UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ty {

// Type URL of the payload that marks a status as "the text is not JSON", so
// a caller can tell malformed JSON from JSON with invalid content.
inline constexpr char kMalformedJsonPayloadUrl[] = "trainyard/malformed-json";

// Whether `status` came from JsonCursor::SyntaxError.
bool IsMalformedJson(const absl::Status& status);

// Returns the position of the first byte at or after `from` that a JSON
// string cannot hold as it is ('"', '\\' or a control character below
// 0x20), or text.size() when there is none. Scans eight bytes at a time.
size_t FindJsonSpecial(std::string_view text, size_t from);

// Appends `text` to `out` escaped for a JSON string literal (RFC 8259),
// without the quotes: '"', '\\' and control characters are escaped, other
// bytes pass through, so UTF-8 stays intact.
void AppendJsonEscaped(std::string& out, std::string_view text);

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // Returns the next character after whitespace, or '\0' at the end.
  char Peek();

  // Consumes `c` after whitespace when it is next; returns whether it was.
  bool ConsumeIf(char c);

  // Consumes `c` after whitespace. Errors: SyntaxError naming `c`.
  absl::Status Expect(char c);

  // Reads a string token. The view points into the text, or into `storage`
  // when the string has escapes; either way it lives as long as both do.
  absl::StatusOr<std::string_view> String(std::string& storage);

  // Reads a number token and returns its text, checked against the JSON
  // number grammar.
  absl::StatusOr<std::string_view> Number();

  // Reads `true`, `false` or `null` and returns the word.
  absl::StatusOr<std::string_view> Literal();

  // Skips one value of any kind, nested up to 64 levels.
  absl::Status SkipValue();

  // Checks that only whitespace is left.
  absl::Status ExpectEnd();

  // kInvalidArgument, marked as malformed JSON: "request body is not valid
  // JSON: byte N: expected <expected> but found <c>: send a JSON object",
  // where N counts from 1.
  absl::Status SyntaxError(std::string_view expected) const;

  size_t position() const { return position_; }

 private:
  void SkipWhitespace();
  absl::Status SkipValue(int depth);

  std::string_view text_;
  size_t position_ = 0;
};

}  // namespace ty
