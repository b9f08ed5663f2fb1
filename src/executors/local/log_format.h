#pragma once

// The record format of a rank's captured output. The shim writes one file
// per stream (stdout.log, stderr.log) in the rank folder; each record is
//
//   <milliseconds since the epoch> <text>\n
//
// where <text> is valid UTF-8 without '\n'. A line longer than
// kMaxPieceBytes is stored as several records, and output that ends without
// '\n' still becomes a record. A reader stops at the first record without
// its '\n', which is one the shim is still writing.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/utf8.h"

namespace ty::executors::local {

// Maximum bytes of raw output in one record: longer lines are split.
inline constexpr size_t kMaxPieceBytes = 64 * 1024;

// Returns one encoded record.
std::string FormatRecord(int64_t time_ms, std::string_view text);

// One decoded record.
struct LogRecord {
  int64_t time_ms = 0;
  std::string text;
};

// Decodes the complete records at the start of `data` into `records` and
// returns the number of bytes they take. A record with a malformed
// timestamp keeps its whole line as text with time 0, so nothing is dropped.
size_t ParseRecords(std::string_view data, std::vector<LogRecord>* records);

// Cuts a byte stream into record texts: at each '\n', and every
// kMaxPieceBytes of a longer line, never inside a UTF-8 sequence.
// Not thread-safe.
class LineSplitter {
 public:
  // Appends `bytes` and returns the texts it completes, already sanitized.
  std::vector<std::string> Feed(std::string_view bytes);

  // Returns the text of a last line without '\n', if any, and clears it.
  std::vector<std::string> Finish();

 private:
  std::string pending_;
};

}  // namespace ty::executors::local
