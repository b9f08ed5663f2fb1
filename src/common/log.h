#pragma once

// The logging facade. Only log.cc includes spdlog, which costs about 10 s of
// compile time per translation unit; callers pay for fmt alone.
//
// Message shape: "[job <id>] <what happened> because <reason>", lowercase
// first word, no trailing period. Never log a secret (tokens, credentials).

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/strings/string_view.h"

// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), so Status::message() needs this to be formattable.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(absl::string_view text, Context& context) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    context);
  }
};

namespace ty::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// Sets the lowest level that is written. Thread-safe.
void SetLevel(Level level);

// Parses "debug", "info", "warning" or "error"; returns false on anything else.
bool ParseLevel(std::string_view text, Level* level);

// Writes one line to stderr with a timestamp and the level. Thread-safe.
// Messages often quote what clients sent, so control characters are written
// escaped (a newline as \n) and invalid UTF-8 as U+FFFD: no message can
// forge a second log line.
void Write(Level level, std::string_view message);

// Returns `message` as Write writes it.
std::string EscapeForLog(std::string_view message);

bool Enabled(Level level);

template <typename... Args>
void Debug(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void Info(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void Warning(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kWarning)) {
    Write(Level::kWarning, fmt::format(format, std::forward<Args>(args)...));
  }
}

template <typename... Args>
void Error(fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(Level::kError)) Write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ty::log
