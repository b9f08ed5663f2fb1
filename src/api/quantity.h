#pragma once

// Kubernetes resource quantities ("4", "500m", "0.5", "16Gi", "1G", "2k",
// "1e3"). A quantity is a non-negative decimal number with an optional
// suffix: decimal (n, u, m, k, M, G, T, P, E), binary (Ki, Mi, Gi, Ti, Pi,
// Ei) or a decimal exponent (e3, E-2). CPU is kept in millicores and memory
// in bytes. Fractions below one unit round up, as Kubernetes does.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ty::api {

// Parses a CPU quantity into millicores: "4" is 4000, "500m" is 500, "0.5" is
// 500. Errors: kInvalidArgument with field `field`, quoting `text`, for an
// empty, negative, malformed or out-of-range quantity.
absl::StatusOr<int64_t> ParseCpuMillis(std::string_view field, std::string_view text);

// Parses a memory quantity into bytes: "16Gi" is 17179869184, "1G" is 1e9.
// Errors as for ParseCpuMillis, and also for a fraction of a byte written
// with a lower-case "m" suffix ("500m" is half a byte), which the message
// suggests writing as "500Mi" or "500M".
absl::StatusOr<int64_t> ParseMemoryBytes(std::string_view field, std::string_view text);

// Parses a count such as a GPU number: a non-negative integer without suffix
// ("1", "8"). Errors: kInvalidArgument with field `field` for anything else.
absl::StatusOr<int64_t> ParseCount(std::string_view field, std::string_view text);

// Formats millicores the way Kubernetes does: "4" for 4000, "500m" for 500.
std::string FormatCpuMillis(int64_t millis);

// Formats bytes with the largest exact suffix, binary ("16Gi") or decimal
// ("2G"), whichever is shorter (binary on a tie), else plain bytes ("1500").
std::string FormatMemoryBytes(int64_t bytes);

}  // namespace ty::api
