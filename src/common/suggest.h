#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ty {

// Returns the candidate closest to `input` by case-insensitive edit distance
// when it is close enough to be a likely typo, for "did you mean" hints.
std::optional<std::string> ClosestMatch(std::string_view input,
                                        const std::vector<std::string>& candidates);

}  // namespace ty
