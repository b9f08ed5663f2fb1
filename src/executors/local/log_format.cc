#include "executors/local/log_format.h"

#include <cstdlib>

#include <fmt/format.h>

namespace ty::executors::local {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Returns the largest cut point not after `limit` that does not split a
// UTF-8 sequence. Falls back to `limit` when the bytes before it are not
// UTF-8 anyway.
size_t SafeCut(std::string_view bytes, size_t limit) {
  size_t cut = limit;
  for (int back = 0; back < 3 && cut > 0; ++back) {
    if (!IsContinuation(static_cast<unsigned char>(bytes[cut]))) return cut;
    --cut;
  }
  return IsContinuation(static_cast<unsigned char>(bytes[cut])) ? limit : cut;
}

}  // namespace

std::string FormatRecord(int64_t time_ms, std::string_view text) {
  return fmt::format("{} {}\n", time_ms, text);
}

size_t ParseRecords(std::string_view data, std::vector<LogRecord>* records) {
  size_t consumed = 0;
  while (consumed < data.size()) {
    size_t end = data.find('\n', consumed);
    if (end == std::string_view::npos) break;
    std::string_view line = data.substr(consumed, end - consumed);
    consumed = end + 1;

    LogRecord record;
    size_t space = line.find(' ');
    std::string timestamp(line.substr(0, space == std::string_view::npos ? 0 : space));
    char* parse_end = nullptr;
    long long time_ms = std::strtoll(timestamp.c_str(), &parse_end, 10);
    if (!timestamp.empty() && parse_end == timestamp.c_str() + timestamp.size()) {
      record.time_ms = time_ms;
      record.text = std::string(line.substr(space + 1));
    } else {
      record.text = std::string(line);
    }
    records->push_back(std::move(record));
  }
  return consumed;
}

std::vector<std::string> LineSplitter::Feed(std::string_view bytes) {
  pending_.append(bytes);
  std::vector<std::string> texts;
  size_t start = 0;
  while (start < pending_.size()) {
    std::string_view rest = std::string_view(pending_).substr(start);
    size_t newline = rest.find('\n');
    if (newline != std::string_view::npos && newline <= kMaxPieceBytes) {
      texts.push_back(SanitizeUtf8(rest.substr(0, newline)));
      start += newline + 1;
      continue;
    }
    if (rest.size() <= kMaxPieceBytes) break;
    size_t cut = SafeCut(rest, kMaxPieceBytes);
    texts.push_back(SanitizeUtf8(rest.substr(0, cut)));
    start += cut;
  }
  pending_.erase(0, start);
  return texts;
}

std::vector<std::string> LineSplitter::Finish() {
  std::vector<std::string> texts;
  if (!pending_.empty()) texts.push_back(SanitizeUtf8(pending_));
  pending_.clear();
  return texts;
}

}  // namespace ty::executors::local
