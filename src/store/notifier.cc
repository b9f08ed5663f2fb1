#include "store/notifier.h"

#include <fmt/format.h>

namespace ty::store {
namespace {

// Past this many topics, idle ones are forgotten on the next Notify.
constexpr size_t kPruneThreshold = 4096;

}  // namespace

std::string JobTopic(std::string_view job_id) { return fmt::format("job:{}", job_id); }

std::string ClusterTopic(std::string_view cluster_id) {
  return fmt::format("cluster:{}", cluster_id);
}

void Notifier::Notify(std::string_view topic) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
      PruneLocked();
      it = topics_.emplace(std::string(topic), Topic{}).first;
    }
    it->second.version = ++last_version_;
  }
  // One condition variable serves every topic: waits are few (long polls,
  // the scheduler, one relay thread per cluster), so spurious wake-ups of
  // other topics cost little.
  changed_.notify_all();
}

uint64_t Notifier::Version(std::string_view topic) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.version;
}

uint64_t Notifier::WaitFor(std::string_view topic, uint64_t seen_version,
                           std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.emplace(std::string(topic), Topic{}).first;
  Topic& entry = it->second;
  ++entry.waiters;
  changed_.wait_for(lock, timeout, [&] { return shut_down_ || entry.version != seen_version; });
  --entry.waiters;
  return entry.version;
}

void Notifier::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shut_down_ = true;
  }
  changed_.notify_all();
}

bool Notifier::shut_down() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shut_down_;
}

void Notifier::PruneLocked() {
  if (topics_.size() < kPruneThreshold) return;
  for (auto it = topics_.begin(); it != topics_.end();) {
    it = it->second.waiters == 0 ? topics_.erase(it) : std::next(it);
  }
}

}  // namespace ty::store
