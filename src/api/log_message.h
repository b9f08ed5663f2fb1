#pragma once

// The relay's `log` message: consecutive output lines of one stream of one
// rank, sent by the agent and stored by the server (docs/relay.md).
//
//   {"type":"log","job":J,"rank":R,"stream":"stdout","offset":N,
//    "lines":[[timeMs,"text"],...]}
//
// plus the "id" that the agent's outbox adds. Log messages carry nearly all
// of the relay's bytes, so both ends read and write them without a JSON
// tree: the encoder escapes straight into one string, and the decoder walks
// the text with JsonCursor.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::api {

struct LogMessage {
  std::string id;  // set by the agent's outbox; empty before
  std::string job;
  int64_t rank = 0;
  std::string stream;  // "stdout" or "stderr"
  // Index of the first line within its stream, counted from 0; the server
  // drops lines below the count it already stored.
  int64_t offset = 0;
  std::vector<std::pair<int64_t, std::string>> lines;  // (time in ms, text as UTF-8)
};

// Encodes `message` without its id. Texts must be valid UTF-8; they are
// copied with only '"', '\\' and control characters escaped.
std::string EncodeLogMessage(const LogMessage& message);

// As above, from the message's parts, so a caller need not copy its lines
// into a LogMessage first.
std::string EncodeLogMessage(std::string_view job, int64_t rank, std::string_view stream,
                             int64_t offset,
                             const std::vector<std::pair<int64_t, std::string>>& lines);

// Returns whether `frame` is a JSON object whose "type" member is "log",
// reading only the members before "type". False for anything else,
// including text that is not JSON.
bool IsLogMessage(std::string_view frame);

// Decodes a log message; unknown members are skipped. Errors:
// kInvalidArgument naming the member at fault ("lines[3]", "stream"),
// marked by IsMalformedJson for text that is not JSON.
absl::StatusOr<LogMessage> DecodeLogMessage(std::string_view frame);

}  // namespace ty::api
