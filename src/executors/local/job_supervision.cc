// JobRunner's supervision loop: rank ends, gang failure, cancel, timeout and
// the grace period before SIGKILL.

#include <algorithm>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time.h"
#include "executors/local/file_util.h"
#include "executors/local/job_runner.h"
#include "executors/local/process_group.h"

namespace ty::executors::local {
namespace {

constexpr int kFailureLines = 5;

// How long a re-attached rank without a known shim may take to show one. The
// shim writes shim.pid first thing, so only a rank the earlier agent never
// started stays unknown this long.
constexpr int64_t kUnknownShimWaitMs = 5000;
// How long to wait for a shim to exit after it wrote its status, which is
// the last thing it does.
constexpr std::chrono::milliseconds kShimExitWait{2000};

}  // namespace

bool JobRunner::Supervise() {
  for (const Rank& rank : ranks_) watcher_.Watch(rank.dir);
  while (true) {
    for (Rank& rank : ranks_) rank.tailer->Poll(listener_);
    CheckRanks();
    CheckCancelAndTimeout();
    EnforceGracePeriod();

    bool all_ended = true;
    for (const Rank& rank : ranks_) all_ended &= rank.ended;
    if (all_ended) {
      // The shim writes status.json only after the last output record, so
      // this poll delivers everything the ranks wrote.
      for (Rank& rank : ranks_) rank.tailer->Poll(listener_);
      for (const Rank& rank : ranks_) ReapShim(rank.shim_pid, kShimExitWait);
      return true;
    }

    {
      std::lock_guard lock(mu_);
      if (stop_watching_) return false;
    }
    // Cancel and StopWatching wake the watcher too, so neither waits for
    // the poll interval.
    watcher_.Wait(options_.poll_interval);
  }
}

void JobRunner::CheckRanks() {
  for (Rank& rank : ranks_) {
    if (rank.ended) continue;
    std::string status_path = rank.dir + "/" + kStatusFile;
    if (rank.shim_pid == 0) {
      auto shim_pid = ReadPidFile(rank.dir + "/" + kShimPidFile);
      if (shim_pid.ok()) rank.shim_pid = *shim_pid;
    }
    if (rank.shim_pid == 0 && !std::filesystem::exists(status_path)) {
      if (NowMillis() - rank.unknown_since_ms < kUnknownShimWaitMs) continue;
      rank.ended = true;
      rank.status.error = "the agent stopped before starting this rank";
      rank.status.finished_ms = NowMillis();
      continue;
    }

    // The shim writes status.json before it exits, so liveness is checked
    // first and the file read after: a dead shim without the file is lost.
    bool alive = rank.shim_pid > 0 && IsShimAlive(rank.shim_pid, rank.dir);
    auto status_text = ReadFile(status_path);
    if (status_text.ok()) {
      auto status = DecodeShimStatus(*status_text);
      if (status.ok()) {
        rank.status = *status;
        rank.ended = true;
        continue;
      }
      ty::log::Warning("[job {}] rank {} status unreadable because {}", job_id_, rank.plan.rank,
                       status.status().message());
    }
    if (alive) continue;

    rank.ended = true;
    rank.lost = true;
    rank.status.finished_ms = NowMillis();
    auto pgid = ReadPidFile(rank.dir + "/" + kChildPgidFile);
    if (pgid.ok()) kill(-*pgid, SIGKILL);
    ty::log::Error("[job {}] rank {} lost its shim (pid {}); killed its process group", job_id_,
                   rank.plan.rank, rank.shim_pid);
  }

  // Ends are handled in the order they happened, so a gang failure names
  // the rank that failed first.
  std::vector<size_t> order;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    if (ranks_[i].ended && !ranks_[i].reported) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    return ranks_[a].status.finished_ms < ranks_[b].status.finished_ms;
  });
  for (size_t index : order) HandleRankEnd(index);
}

void JobRunner::HandleRankEnd(size_t index) {
  Rank& rank = ranks_[index];
  rank.reported = true;
  JobRecord record = Snapshot();

  // A rank that ends after the executor requested it to stop was stopped, even
  // when it exits non-zero from its SIGTERM handler.
  std::string stop_reason;
  if (record.stop_kind != StopKind::kNone && rank.status.finished_ms >= record.stop_requested_ms) {
    stop_reason = record.stop_reason;
  }
  std::vector<std::string> last_lines = rank.tailer->LastLines(kFailureLines);
  RankOutcome outcome = ClassifyRankEnd(rank.status, rank.lost, stop_reason, last_lines);
  if (!rank.status.log_error.empty()) {
    outcome.message += (outcome.message.empty() ? "" : "; ") + rank.status.log_error;
  }
  ty::log::Info("[job {}] rank {} ended: {}{}", job_id_, rank.plan.rank, outcome.status,
                outcome.message.empty() ? "" : " because " + outcome.message);
  ReportRank(index, outcome);

  if (outcome.status == "Failed" && record.stop_kind == StopKind::kNone) {
    std::string message = RankFailureMessage(rank.plan.rank, static_cast<int>(ranks_.size()),
                                             outcome, last_lines);
    {
      std::lock_guard lock(mu_);
      record_.exit_code = outcome.exit_code;
      record_.signal = outcome.signal;
      record_.message = message;
    }
    BeginStop(StopKind::kRankFailure, message, fmt::format("rank {} failed", rank.plan.rank));
  }
}

void JobRunner::CheckCancelAndTimeout() {
  JobRecord record = Snapshot();
  if (record.stop_kind != StopKind::kNone) return;

  std::string reason;
  if (CancelRequested(&reason)) {
    BeginStop(StopKind::kCancel, reason, fmt::format("the job was canceled: {}", reason));
    return;
  }
  int64_t limit_s = record.spec.timeout.count();
  if (limit_s > 0 && record.started_ms > 0 && NowMillis() >= record.started_ms + limit_s * 1000) {
    std::string message = fmt::format("job exceeded its time limit of {} s", limit_s);
    BeginStop(StopKind::kTimeout, message, fmt::format("the {}", message));
  }
}

void JobRunner::BeginStop(StopKind kind, const std::string& reason,
                          const std::string& rank_reason) {
  {
    std::lock_guard lock(mu_);
    record_.stop_kind = kind;
    record_.stop_reason = rank_reason;
    record_.stop_requested_ms = NowMillis();
    if (kind != StopKind::kRankFailure) record_.message = reason;
  }
  // Recorded first, so a restarted agent treats the ranks' ends as requested.
  Persist();
  ty::log::Info("[job {}] stopping every rank because {}", job_id_, rank_reason);

  // Each shim forwards SIGTERM to its process group and sends SIGKILL after
  // the grace period itself, even if the agent is gone by then.
  for (Rank& rank : ranks_) {
    if (!rank.ended && rank.shim_pid > 0 && IsShimAlive(rank.shim_pid, rank.dir)) {
      kill(rank.shim_pid, SIGTERM);
    }
  }
}

void JobRunner::EnforceGracePeriod() {
  JobRecord record = Snapshot();
  if (record.stop_kind == StopKind::kNone ||
      NowMillis() < record.stop_requested_ms + options_.grace_period.count()) {
    return;
  }
  // The shims send SIGKILL at the same moment; this covers a rank whose shim
  // missed the SIGTERM.
  for (Rank& rank : ranks_) {
    if (rank.ended) continue;
    if (rank.child_pgid == 0) {
      auto pgid = ReadPidFile(rank.dir + "/" + kChildPgidFile);
      if (pgid.ok()) rank.child_pgid = *pgid;
    }
    if (rank.child_pgid > 0) kill(-rank.child_pgid, SIGKILL);
  }
}

void JobRunner::DecideOutcome() {
  std::lock_guard lock(mu_);
  switch (record_.stop_kind) {
    case StopKind::kCancel:
      record_.outcome_status = "Canceled";
      return;
    case StopKind::kTimeout:
    case StopKind::kRankFailure:
      record_.outcome_status = "Failed";
      return;
    case StopKind::kNone:
      break;
  }
  record_.outcome_status = "Completed";
  record_.exit_code = 0;
  for (const RankRecord& rank : record_.ranks) {
    if (rank.status == "Completed") continue;
    // Only a cancel can leave a rank unfinished without a stop; report it.
    record_.outcome_status = "Failed";
    record_.exit_code = rank.exit_code;
    record_.signal = rank.signal;
    record_.message = fmt::format("rank {} ended as {}: {}", rank.rank, rank.status, rank.message);
    return;
  }
}

}  // namespace ty::executors::local
