#include "executors/kubernetes/log_follower.h"

#include <ctime>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "executors/kubernetes/launcher.h"
#include "executors/kubernetes/manifests.h"

namespace ty::executors::kubernetes {
namespace {

constexpr size_t kKeptLines = 20;
constexpr size_t kMaxChunkLines = 500;

}  // namespace

int64_t ParseRfc3339Millis(std::string_view text) {
  // "2026-12-04T21:10:18.117068768Z"
  if (text.size() < 20 || text[4] != '-' || text[10] != 'T' || text.back() != 'Z') return -1;
  std::tm tm{};
  auto number = [&](size_t at, size_t length, int* out) {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  int year = 0, month = 0;
  if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &tm.tm_mday) ||
      !number(11, 2, &tm.tm_hour) || !number(14, 2, &tm.tm_min) || !number(17, 2, &tm.tm_sec)) {
    return -1;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  int64_t millis = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (text.size() > 21 && text[19] == '.') {
    int digits = 0, fraction = 0;
    for (size_t i = 20; i < text.size() - 1 && digits < 3; ++i, ++digits) {
      if (text[i] < '0' || text[i] > '9') return -1;
      fraction = fraction * 10 + (text[i] - '0');
    }
    while (digits++ < 3) fraction *= 10;
    millis += fraction;
  }
  return millis;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
                                    : (lead >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

LogFollower::LogFollower(kube::Client& client, LogSource source,
                         agent::ExecutorListener& listener)
    : client_(client), source_(std::move(source)), listener_(listener) {}

LogFollower::~LogFollower() { Stop(); }

void LogFollower::Start() { thread_ = std::thread([this] { Run(); }); }

void LogFollower::MarkContainerEnded() {
  container_ended_ = true;
  std::lock_guard lock(mu_);
  wake_.notify_all();
}

void LogFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (open_stream_ != nullptr) open_stream_->Cancel();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> LogFollower::LastLines(int rank, size_t count) const {
  std::lock_guard lock(mu_);
  auto it = last_lines_.find(rank);
  if (it == last_lines_.end()) return {};
  size_t start = it->second.size() > count ? it->second.size() - count : 0;
  return std::vector<std::string>(it->second.begin() + start, it->second.end());
}

void LogFollower::Run() {
  while (true) {
    // The end of a stream is the end of the log only when the container had
    // ended before the stream was opened. Otherwise the connection dropped,
    // so the log is opened again and the lines already delivered skipped.
    bool ended_before = container_ended_;
    StreamOutcome outcome = FollowOnce();
    if (outcome == StreamOutcome::kStop) break;
    if (outcome == StreamOutcome::kEnded && ended_before) break;
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; });
    if (stopping_) break;
  }
  Flush();
  done_ = true;
}

LogFollower::StreamOutcome LogFollower::FollowOnce() {
  absl::StatusOr<std::unique_ptr<kube::LineStream>> opened = client_.StreamPodLog(
      source_.namespace_name, source_.pod, {.container = kMainContainer, .follow = true});
  if (!opened.ok()) {
    if (opened.status().code() == absl::StatusCode::kNotFound) return StreamOutcome::kStop;
    log::Debug("[job {}] log of pod {} not readable yet because {}", source_.job_id, source_.pod,
               opened.status().message());
    return StreamOutcome::kRetry;
  }
  std::unique_ptr<kube::LineStream> stream = std::move(*opened);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return StreamOutcome::kStop;
    open_stream_ = stream.get();
  }
  skip_ = lines_seen_;
  StreamOutcome outcome = StreamOutcome::kEnded;
  while (true) {
    absl::StatusOr<std::optional<std::string>> line = stream->Next();
    if (!line.ok()) {
      if (line.status().code() != absl::StatusCode::kCancelled) {
        log::Warning("[job {}] following the log of pod {} again because {}", source_.job_id,
                     source_.pod, line.status().message());
      }
      outcome = StreamOutcome::kRetry;
      break;
    }
    if (!line->has_value()) break;
    if (skip_ > 0) {
      --skip_;
    } else {
      HandleLine(**line);
      ++lines_seen_;
    }
    if (!stream->HasBufferedLine()) Flush();
  }
  Flush();
  std::lock_guard lock(mu_);
  open_stream_ = nullptr;
  return stopping_ ? StreamOutcome::kStop : outcome;
}

void LogFollower::HandleLine(const std::string& raw) {
  // With timestamps=true each line starts with the kubelet's RFC 3339 time.
  size_t space = raw.find(' ');
  int64_t time_ms = space == std::string::npos ? -1 : ParseRfc3339Millis(raw.substr(0, space));
  std::string text = time_ms >= 0 ? raw.substr(space + 1) : raw;
  if (time_ms < 0) time_ms = NowMillis();

  int rank = source_.node_rank * source_.processes_per_instance;
  if (source_.processes_per_instance > 1 && text.starts_with("[rank ")) {
    size_t close = text.find("] ");
    std::string number = close == std::string::npos ? "" : text.substr(6, close - 6);
    if (!number.empty() && number.find_first_not_of("0123456789") == std::string::npos) {
      rank = std::stoi(number);
      text = text.substr(close + 2);
    }
  }
  text = ValidUtf8(text);

  agent::LogChunk& chunk = pending_[rank];
  if (chunk.lines.empty()) {
    chunk.job_id = source_.job_id;
    chunk.rank = rank;
    chunk.stream = "stdout";
    chunk.offset = next_offset_[rank];
  }
  chunk.lines.emplace_back(time_ms, text);
  ++next_offset_[rank];
  {
    std::lock_guard lock(mu_);
    std::deque<std::string>& kept = last_lines_[rank];
    kept.push_back(text);
    if (kept.size() > kKeptLines) kept.pop_front();
  }
  if (chunk.lines.size() >= kMaxChunkLines) Flush();
}

void LogFollower::Flush() {
  for (auto& [rank, chunk] : pending_) {
    if (chunk.lines.empty()) continue;
    listener_.OnLog(chunk);
    chunk.lines.clear();
  }
}

}  // namespace ty::executors::kubernetes
