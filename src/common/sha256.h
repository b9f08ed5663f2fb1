#pragma once

#include <string>
#include <string_view>

namespace ty {

// Returns "sha256:<64 lowercase hex digits>" of `data`, the form blob
// digests take everywhere in Trainyard.
std::string Sha256Digest(std::string_view data);

// Returns the 64 lowercase hex digits of SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace ty
