#pragma once

#include <cstddef>

namespace ty::http {

// The server's default limit on one request body, in bytes. The CLI sizes
// code snapshot uploads to fit under it.
inline constexpr size_t kMaxRequestBodyBytes = size_t{64} << 20;

}  // namespace ty::http
