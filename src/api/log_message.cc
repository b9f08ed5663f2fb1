#include "api/log_message.h"

#include <charconv>
#include <iterator>

#include <fmt/format.h>

#include "common/json_cursor.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace ty::api {
namespace {

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  AppendJsonEscaped(out, text);
  out += '"';
}

absl::Status MemberError(std::string_view member, std::string_view expected) {
  return absl::InvalidArgumentError(
      fmt::format("log message member '{}' must be {}", member, expected));
}

absl::StatusOr<int64_t> ReadInteger(JsonCursor& cursor, std::string_view member) {
  if (char next = cursor.Peek(); next != '-' && (next < '0' || next > '9')) {
    return MemberError(member, "an integer");
  }
  ASSIGN_OR_RETURN(std::string_view number, cursor.Number());
  int64_t value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size()) {
    return MemberError(member, "an integer");
  }
  return value;
}

absl::StatusOr<std::string> ReadString(JsonCursor& cursor, std::string_view member) {
  if (cursor.Peek() != '"') return MemberError(member, "a string");
  std::string storage;
  ASSIGN_OR_RETURN(std::string_view text, cursor.String(storage));
  if (!IsValidUtf8(text)) return MemberError(member, "valid UTF-8");
  return std::string(text);
}

// Reads one [timeMs, "text"] entry of "lines".
absl::Status ReadLine(JsonCursor& cursor, LogMessage& message) {
  if (!cursor.ConsumeIf('[')) return absl::InvalidArgumentError("");
  ASSIGN_OR_RETURN(int64_t time, ReadInteger(cursor, ""));
  if (!cursor.ConsumeIf(',')) return absl::InvalidArgumentError("");
  ASSIGN_OR_RETURN(std::string text, ReadString(cursor, ""));
  if (!cursor.ConsumeIf(']')) return absl::InvalidArgumentError("");
  message.lines.emplace_back(time, std::move(text));
  return absl::OkStatus();
}

// Reads the "lines" array: [[timeMs, "text"], ...].
absl::Status ReadLines(JsonCursor& cursor, LogMessage& message) {
  if (!cursor.ConsumeIf('[')) return MemberError("lines", "an array of [timeMs, text]");
  if (cursor.ConsumeIf(']')) return absl::OkStatus();
  do {
    // The entry's name is formatted only on error: messages carry
    // thousands of lines.
    if (absl::Status read = ReadLine(cursor, message); !read.ok()) {
      if (IsMalformedJson(read)) return read;
      return MemberError(fmt::format("lines[{}]", message.lines.size()),
                         "[timeMs, text] with an integer time and a UTF-8 text");
    }
  } while (cursor.ConsumeIf(','));
  return cursor.Expect(']');
}

}  // namespace

std::string EncodeLogMessage(const LogMessage& message) {
  return EncodeLogMessage(message.job, message.rank, message.stream, message.offset,
                          message.lines);
}

std::string EncodeLogMessage(std::string_view job, int64_t rank, std::string_view stream,
                             int64_t offset,
                             const std::vector<std::pair<int64_t, std::string>>& lines) {
  size_t text_bytes = 0;
  for (const auto& [time, text] : lines) text_bytes += text.size() + 24;
  std::string out;
  out.reserve(text_bytes + 128);

  // "type" goes first so IsLogMessage stops reading right after it.
  out += "{\"type\":\"log\",\"job\":";
  AppendJsonString(out, job);
  fmt::format_to(std::back_inserter(out), ",\"rank\":{},\"stream\":", rank);
  AppendJsonString(out, stream);
  fmt::format_to(std::back_inserter(out), ",\"offset\":{},\"lines\":[", offset);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += ',';
    fmt::format_to(std::back_inserter(out), "[{},", lines[i].first);
    AppendJsonString(out, lines[i].second);
    out += ']';
  }
  out += "]}";
  return out;
}

bool IsLogMessage(std::string_view frame) {
  JsonCursor cursor(frame);
  if (!cursor.ConsumeIf('{') || cursor.ConsumeIf('}')) return false;
  std::string storage;
  do {
    absl::StatusOr<std::string_view> key = cursor.String(storage);
    if (!key.ok() || !cursor.Expect(':').ok()) return false;
    if (*key == "type") {
      if (cursor.Peek() != '"') return false;
      absl::StatusOr<std::string_view> type = cursor.String(storage);
      return type.ok() && *type == "log";
    }
    if (!cursor.SkipValue().ok()) return false;
  } while (cursor.ConsumeIf(','));
  return false;
}

absl::StatusOr<LogMessage> DecodeLogMessage(std::string_view frame) {
  JsonCursor cursor(frame);
  LogMessage message;
  bool has_type = false;
  RETURN_IF_ERROR(cursor.Expect('{'));
  if (!cursor.ConsumeIf('}')) {
    std::string storage;
    do {
      ASSIGN_OR_RETURN(std::string_view key_view, cursor.String(storage));
      std::string key(key_view);
      RETURN_IF_ERROR(cursor.Expect(':'));
      if (key == "id") {
        ASSIGN_OR_RETURN(message.id, ReadString(cursor, key));
      } else if (key == "type") {
        ASSIGN_OR_RETURN(std::string type, ReadString(cursor, key));
        if (type != "log") return MemberError(key, "\"log\"");
        has_type = true;
      } else if (key == "job") {
        ASSIGN_OR_RETURN(message.job, ReadString(cursor, key));
      } else if (key == "rank") {
        ASSIGN_OR_RETURN(message.rank, ReadInteger(cursor, key));
      } else if (key == "stream") {
        ASSIGN_OR_RETURN(message.stream, ReadString(cursor, key));
      } else if (key == "offset") {
        ASSIGN_OR_RETURN(message.offset, ReadInteger(cursor, key));
      } else if (key == "lines") {
        RETURN_IF_ERROR(ReadLines(cursor, message));
      } else {
        RETURN_IF_ERROR(cursor.SkipValue());
      }
    } while (cursor.ConsumeIf(','));
    RETURN_IF_ERROR(cursor.Expect('}'));
  }
  RETURN_IF_ERROR(cursor.ExpectEnd());

  if (!has_type) return MemberError("type", "\"log\"");
  if (message.job.empty()) return MemberError("job", "a non-empty job id");
  if (message.stream != "stdout" && message.stream != "stderr") {
    return MemberError("stream", "\"stdout\" or \"stderr\"");
  }
  if (message.offset < 0) return MemberError("offset", "zero or more");
  return message;
}

}  // namespace ty::api
