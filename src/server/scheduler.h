#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "server/relay_hub.h"
#include "store/database.h"
#include "store/jobs.h"
#include "store/notifier.h"

namespace ty::server {

// Assigns queued jobs to their clusters' agents. A job is assigned only when
// its whole gang fits in what the cluster reported minus what assigned jobs
// hold, and leaves Queued in the same transaction that records the
// assignment. Jobs of one cluster are taken in submit order, so a large job
// is not starved by smaller ones behind it. Also sends cancels for jobs in
// CancelRequested. Thread-safe.
class Scheduler {
 public:
  Scheduler(store::Database& database, store::Notifier& notifier, RelayHub& hub,
            std::string public_url);
  ~Scheduler();

  // Starts the thread that runs a pass whenever jobs or clusters change.
  void Start();
  void Stop();

  // Runs one pass over queued and cancelling jobs; public for tests.
  void RunOnce();

 private:
  void Loop();
  void ScheduleCluster(const std::string& cluster_id, std::vector<store::JobRecord> jobs);
  absl::Status Assign(const store::JobRecord& job, const nlohmann::json& launch,
                      const struct GangRequest& request, const std::string& placement);
  void SendCancels(const std::string& cluster_id);

  store::Database& database_;
  store::Notifier& notifier_;
  RelayHub& hub_;
  const std::string public_url_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ty::server
