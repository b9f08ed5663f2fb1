#pragma once

// UTF-8 validation for text that reaches JSON: job output is arbitrary bytes,
// and every JSON string the project writes must be valid UTF-8.

#include <string>
#include <string_view>

namespace ty {

// Returns `bytes` with every invalid UTF-8 sequence (stray continuation
// bytes, truncated or overlong sequences, surrogates, code points above
// U+10FFFF) replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view bytes);

// Returns whether `bytes` is valid UTF-8 by the rules of SanitizeUtf8.
bool IsValidUtf8(std::string_view bytes);

}  // namespace ty
