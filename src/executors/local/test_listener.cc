#include "executors/local/test_listener.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "executors/local/file_util.h"
#include "executors/local/job_layout.h"
#include "executors/local/process_group.h"
#include "executors/local/shim_protocol.h"

namespace ty::executors::local {

namespace fs = std::filesystem;

bool GroupGone(pid_t pgid) {
  if (pgid <= 0) return false;
  if (kill(-pgid, 0) != 0 && errno == ESRCH) return true;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    auto stat = ReadFile(entry.path().string() + "/stat");
    if (!stat.ok()) continue;
    // Fields after the parenthesised name: state, parent pid, process group.
    size_t name_end = stat->rfind(')');
    char state = 0;
    int parent = 0;
    int group = 0;
    if (name_end == std::string::npos ||
        std::sscanf(stat->c_str() + name_end + 1, " %c %d %d", &state, &parent, &group) != 3) {
      continue;
    }
    if (group == pgid && state != 'Z') return false;
  }
  return true;
}

bool WaitForGroupGone(pid_t pgid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!GroupGone(pgid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void RecordingListener::OnStatus(const agent::StatusEvent& event) {
  std::function<void(const agent::StatusEvent&)> hook;
  {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    if (!event.rank) sequence_[event.job_id].push_back("status:" + event.status);
    hook = hook_;
    changed_.notify_all();
  }
  if (hook) hook(event);
}

void RecordingListener::OnLog(const agent::LogChunk& chunk) {
  std::lock_guard lock(mu_);
  StreamLines& stream = streams_[fmt::format("{}/{}/{}", chunk.job_id, chunk.rank, chunk.stream)];
  int64_t offset = chunk.offset;
  for (const auto& [time_ms, text] : chunk.lines) {
    stream.by_offset[offset] = text;
    if (offset >= stream.next_offset) {
      stream.lines.push_back(text);
      stream.next_offset = offset + 1;
    }
    ++offset;
  }
  changed_.notify_all();
}

absl::Status RecordingListener::UploadOutput(const std::string& job_id, const std::string& name,
                                             const std::string& folder) {
  std::lock_guard lock(mu_);
  sequence_[job_id].push_back("upload:" + name);
  std::vector<std::string>& files = uploaded_files_[name];
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    files.push_back(entry.path().filename().string());
  }
  return absl::OkStatus();
}

std::optional<agent::StatusEvent> RecordingListener::WaitForStatus(
    const std::string& job_id, const std::vector<std::string>& statuses, std::optional<int> rank,
    std::chrono::seconds limit) {
  std::unique_lock lock(mu_);
  std::optional<agent::StatusEvent> found;
  changed_.wait_for(lock, limit, [&] {
    for (const agent::StatusEvent& event : events_) {
      if (event.job_id != job_id || event.rank != rank) continue;
      for (const std::string& status : statuses) {
        if (event.status == status) {
          found = event;
          return true;
        }
      }
    }
    return false;
  });
  return found;
}

std::optional<agent::StatusEvent> RecordingListener::WaitForEnd(const std::string& job_id) {
  return WaitForStatus(job_id, {"Completed", "Failed", "Canceled"});
}

bool RecordingListener::WaitForLine(const std::string& job_id, int rank, const std::string& line,
                                    std::chrono::seconds limit) {
  std::unique_lock lock(mu_);
  std::string key = fmt::format("{}/{}/stdout", job_id, rank);
  return changed_.wait_for(lock, limit, [&] {
    const std::vector<std::string>& lines = streams_[key].lines;
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  });
}

std::vector<std::string> RecordingListener::JobStatuses(const std::string& job_id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> statuses;
  for (const agent::StatusEvent& event : events_) {
    if (event.job_id == job_id && !event.rank) statuses.push_back(event.status);
  }
  return statuses;
}

std::vector<agent::StatusEvent> RecordingListener::Events(const std::string& job_id) {
  std::lock_guard lock(mu_);
  std::vector<agent::StatusEvent> events;
  for (const agent::StatusEvent& event : events_) {
    if (event.job_id == job_id) events.push_back(event);
  }
  return events;
}

std::vector<std::string> RecordingListener::Lines(const std::string& job_id, int rank,
                                                  const std::string& stream) {
  std::lock_guard lock(mu_);
  return streams_[fmt::format("{}/{}/{}", job_id, rank, stream)].lines;
}

std::map<int64_t, std::string> RecordingListener::LinesByOffset(const std::string& job_id,
                                                                int rank,
                                                                const std::string& stream) {
  std::lock_guard lock(mu_);
  return streams_[fmt::format("{}/{}/{}", job_id, rank, stream)].by_offset;
}

std::vector<std::string> RecordingListener::Sequence(const std::string& job_id) {
  std::lock_guard lock(mu_);
  return sequence_[job_id];
}

std::map<std::string, std::vector<std::string>> RecordingListener::uploaded_files() {
  std::lock_guard lock(mu_);
  return uploaded_files_;
}

void RecordingListener::SetStatusHook(std::function<void(const agent::StatusEvent&)> hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

void LocalExecutorTestBase::SetUp() {
  std::string pattern = (fs::temp_directory_path() / "ty-local-executor-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  work_root_ = pattern;
  capacity_ = {.name = "test-host", .cpus = 64, .memory_bytes = int64_t{64} << 30};
}

void LocalExecutorTestBase::TearDown() {
  // Every shim and command group the test's jobs started is killed, so no
  // test leaves processes behind, whatever it asserted.
  std::error_code error;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(work_root_, error)) {
    std::string name = entry.path().filename().string();
    if (name != kChildPgidFile && name != kShimPidFile) continue;
    auto pid = ReadPidFile(entry.path().string());
    if (!pid.ok()) continue;
    if (name == kChildPgidFile) kill(-*pid, SIGKILL);
    if (name == kShimPidFile && IsShimAlive(*pid, entry.path().parent_path().string())) {
      kill(*pid, SIGKILL);
    }
  }
  fs::remove_all(work_root_, error);
}

LocalExecutorOptions LocalExecutorTestBase::Options() const {
  return {.work_root = work_root_,
          .shim_path = TY_TEST_SHIM_PATH,
          .grace_period = std::chrono::milliseconds(500),
          .poll_interval = std::chrono::milliseconds(20),
          .capacity = capacity_};
}

std::unique_ptr<LocalExecutor> LocalExecutorTestBase::MakeExecutor(RecordingListener* listener) {
  return MakeExecutor(listener, Options());
}

std::unique_ptr<LocalExecutor> LocalExecutorTestBase::MakeExecutor(
    RecordingListener* listener, const LocalExecutorOptions& options) {
  return std::make_unique<LocalExecutor>(options, listener);
}

std::string LocalExecutorTestBase::RankDir(const std::string& job_id, int rank) const {
  return JobPaths(work_root_ + "/" + JobFolderName(job_id)).RankDir(rank);
}

std::string LocalExecutorTestBase::CodeDir(const std::string& job_id) const {
  return JobPaths(work_root_ + "/" + JobFolderName(job_id)).code_dir;
}

pid_t LocalExecutorTestBase::ChildGroup(const std::string& job_id, int rank) const {
  auto pgid = ReadPidFile(RankDir(job_id, rank) + "/" + kChildPgidFile);
  return pgid.ok() ? *pgid : -1;
}

agent::LaunchSpec LocalExecutorTestBase::Spec(const std::string& job_id,
                                              const std::string& command) {
  agent::LaunchSpec spec;
  spec.job_id = job_id;
  spec.command = command;
  return spec;
}

}  // namespace ty::executors::local
