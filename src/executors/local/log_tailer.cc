#include "executors/local/log_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "executors/local/file_util.h"
#include "executors/local/log_format.h"
#include "executors/local/shim_protocol.h"

namespace ty::executors::local {
namespace {

// One record contains at most 64 KiB of output, which sanitizing can
// triple, so a read of this size contains a complete record when one exists.
constexpr size_t kReadBytes = 1024 * 1024;

// Reads up to `size` bytes of `path` from `offset`; empty when the file does
// not exist yet. The buffer is sized by what the file holds: the tailer
// polls every rank's streams many times a second, mostly finding nothing.
std::string ReadAt(const std::string& path, int64_t offset, size_t size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string();
  struct stat info;
  if (fstat(fd, &info) != 0 || info.st_size <= offset) {
    close(fd);
    return std::string();
  }
  size = std::min(size, static_cast<size_t>(info.st_size - offset));
  std::string data(size, '\0');
  ssize_t n;
  while ((n = pread(fd, data.data(), size, offset)) < 0 && errno == EINTR) {
  }
  close(fd);
  data.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return data;
}

int64_t FileSize(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  off_t size = lseek(fd, 0, SEEK_END);
  close(fd);
  return size > 0 ? size : 0;
}

}  // namespace

RankLogTailer::RankLogTailer(std::string job_id, int rank, std::string rank_dir)
    : job_id_(std::move(job_id)),
      rank_(rank),
      offsets_path_(rank_dir + "/offsets.json"),
      streams_{{"stdout", rank_dir + "/" + kStdoutFile}, {"stderr", rank_dir + "/" + kStderrFile}} {}

absl::Status RankLogTailer::LoadOffsets() {
  auto text = ReadFile(offsets_path_);
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  try {
    nlohmann::json document = nlohmann::json::parse(*text);
    for (Stream& stream : streams_) {
      const nlohmann::json& entry = document.at(stream.name);
      stream.file_offset = entry.at("file").get<int64_t>();
      stream.line_index = entry.at("line").get<int64_t>();
    }
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("invalid '{}': {}", offsets_path_, error.what()));
  }
  return absl::OkStatus();
}

void RankLogTailer::SaveOffsets() {
  nlohmann::json document;
  for (const Stream& stream : streams_) {
    document[stream.name] = {{"file", stream.file_offset}, {"line", stream.line_index}};
  }
  absl::Status saved = WriteFileAtomic(offsets_path_, document.dump());
  // Losing the position only means lines are sent again after a restart.
  // A full disk fails every save, so only the first failure in a row is
  // logged.
  if (!saved.ok() && !offsets_unsaved_) {
    ty::log::Warning("[job {}] log position of rank {} not saved because {}", job_id_, rank_,
                     saved.message());
  }
  offsets_unsaved_ = !saved.ok();
}

bool RankLogTailer::PollStream(Stream& stream, agent::ExecutorListener& listener) {
  bool delivered = false;
  while (true) {
    std::string data = ReadAt(stream.path, stream.file_offset, kReadBytes);
    std::vector<LogRecord> records;
    size_t consumed = ParseRecords(data, &records);
    if (records.empty()) break;

    agent::LogChunk chunk;
    chunk.job_id = job_id_;
    chunk.rank = rank_;
    chunk.stream = stream.name;
    chunk.offset = stream.line_index;
    for (LogRecord& record : records) {
      chunk.lines.emplace_back(record.time_ms, std::move(record.text));
    }
    listener.OnLog(chunk);

    stream.file_offset += static_cast<int64_t>(consumed);
    stream.line_index += static_cast<int64_t>(chunk.lines.size());
    delivered = true;
  }
  return delivered;
}

bool RankLogTailer::Poll(agent::ExecutorListener& listener) {
  bool delivered = false;
  for (Stream& stream : streams_) delivered |= PollStream(stream, listener);
  if (delivered) SaveOffsets();
  return delivered;
}

std::vector<std::string> RankLogTailer::LastLines(int count) const {
  constexpr size_t kTailBytes = 256 * 1024;
  constexpr size_t kLineBytes = 200;
  for (const Stream* stream : {&streams_[1], &streams_[0]}) {
    int64_t size = FileSize(stream->path);
    if (size == 0) continue;
    int64_t start = size > static_cast<int64_t>(kTailBytes) ? size - kTailBytes : 0;
    std::string data = ReadAt(stream->path, start, kTailBytes);
    // A read that starts mid-file begins inside a record, which is skipped.
    if (start > 0) data.erase(0, data.find('\n') == std::string::npos ? data.size() : data.find('\n') + 1);

    std::vector<LogRecord> records;
    ParseRecords(data, &records);
    std::vector<std::string> lines;
    size_t first = records.size() > static_cast<size_t>(count) ? records.size() - count : 0;
    for (size_t i = first; i < records.size(); ++i) {
      std::string& text = records[i].text;
      lines.push_back(text.size() <= kLineBytes ? text : SanitizeUtf8(text.substr(0, kLineBytes)) + "...");
    }
    if (!lines.empty()) return lines;
  }
  return {};
}

}  // namespace ty::executors::local
