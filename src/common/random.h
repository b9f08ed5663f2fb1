#pragma once

#include <string>

namespace ty {

// Returns `bytes` bytes from OpenSSL's CSPRNG as lowercase hex, so the
// result is 2 * `bytes` characters long. Suitable for tokens and credentials.
std::string RandomHex(size_t bytes);

// Returns a short random id for records (12 hex characters).
std::string NewId();

}  // namespace ty
