#pragma once

#include <cstdint>
#include <string>

namespace ty {

// Milliseconds since the Unix epoch, from the system clock.
int64_t NowMillis();

// Microseconds since the Unix epoch, from the system clock.
int64_t NowMicros();

// Formats milliseconds since the epoch as RFC 3339 UTC with milliseconds,
// for example "2026-12-04T20:13:26.123Z".
std::string FormatRfc3339(int64_t millis);

}  // namespace ty
