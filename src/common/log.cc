#include "common/log.h"

#include <algorithm>
#include <atomic>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/utf8.h"

namespace ty::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

spdlog::logger& Logger() {
  // Stderr keeps stdout free for command output that scripts parse.
  static auto* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* created = new spdlog::logger("trainyard", sink);
    created->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    created->set_level(spdlog::level::trace);
    return created;
  }();
  return *logger;
}

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarning:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void SetLevel(Level level) { g_level = level; }

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug") {
    *level = Level::kDebug;
  } else if (text == "info") {
    *level = Level::kInfo;
  } else if (text == "warning") {
    *level = Level::kWarning;
  } else if (text == "error") {
    *level = Level::kError;
  } else {
    return false;
  }
  return true;
}

bool Enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

std::string EscapeForLog(std::string_view message) {
  auto special = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
  bool plain = std::none_of(message.begin(), message.end(), special) &&
               IsValidUtf8(message);
  if (plain) return std::string(message);

  std::string escaped;
  escaped.reserve(message.size() + 16);
  for (unsigned char c : message) {
    if (c == '\n') {
      escaped += "\\n";
    } else if (c == '\r') {
      escaped += "\\r";
    } else if (special(c)) {
      escaped += fmt::format("\\x{:02x}", c);
    } else {
      escaped += static_cast<char>(c);
    }
  }
  return SanitizeUtf8(escaped);
}

void Write(Level level, std::string_view message) {
  Logger().log(ToSpdlog(level), EscapeForLog(message));
}

}  // namespace ty::log
