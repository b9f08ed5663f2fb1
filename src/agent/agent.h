#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/connection_string.h"
#include "agent/executor.h"
#include "agent/extension_states.h"
#include "agent/installer.h"
#include "agent/outbox.h"
#include "agent/relay_client.h"
#include "common/http/client.h"

namespace ty::agent {

struct AgentOptions {
  ConnectionString connection;
  http::ClientOptions http;  // TLS CA and proxy settings for the server
  std::string state_dir;     // outbox, fetched code snapshots, extension state
  std::string executor_name = "local";
  std::chrono::seconds heartbeat_interval{10};
  // How often an extension that is still "Installing" (or being deleted) is
  // reconciled again.
  std::chrono::milliseconds reconcile_interval{2000};
  // Folder of the Python tracking client, put first on every job's
  // PYTHONPATH so `import trainyard_client` works; empty to leave it alone.
  // Only a backend whose jobs share the agent's file system can use it.
  std::string python_client_dir;
  // Calls Executor::Forget for each finished job once the server has
  // acknowledged its final status, which frees the job's working folder.
  bool forget_finished_jobs = false;
};

// The cluster-side agent: keeps the relay open, reconciles extensions, turns
// assignments into executor launches and executor events into relay
// messages. Every event is put in the durable outbox before it counts as
// reported. Thread-safe.
class Agent : public ExecutorListener {
 public:
  // `executor` and `installer` must outlive the agent. The caller creates
  // them, so the agent depends on no backend.
  Agent(AgentOptions options, std::unique_ptr<Outbox> outbox, Executor& executor,
        ClusterInstaller& installer);
  ~Agent() override;

  // Opens the outbox under `options.state_dir`, then constructs the agent.
  static absl::StatusOr<std::unique_ptr<Agent>> Create(AgentOptions options, Executor& executor,
                                                       ClusterInstaller& installer);

  // Recovers jobs left by a previous process, then connects.
  absl::Status Start();

  // Disconnects and joins threads. Running jobs keep running.
  void Stop();

  // ExecutorListener
  void OnStatus(const StatusEvent& event) override;
  void OnLog(const LogChunk& chunk) override;
  absl::Status UploadOutput(const std::string& job_id, const std::string& name,
                            const std::string& folder) override;

  bool connected() const { return relay_ && relay_->connected(); }

 private:
  std::string BuildHello();
  std::string BuildHeartbeat();
  void HandleFrame(const std::string& frame);
  void HandleExtensions(const nlohmann::json& frame);
  // Reconciles `item` and records the outcome. REQUIRES: reconcile_mutex_.
  ExtensionReport ReconcileExtension(const nlohmann::json& item);
  // Copies the state of extensions_ into the flags. REQUIRES: reconcile_mutex_.
  void RefreshExtensionFlags();
  // Reconciles, every reconcile_interval, the extensions not settled yet.
  void RunReconcileLoop();
  void HandleAssign(const nlohmann::json& frame);
  void HandleCancel(const nlohmann::json& frame);
  // Both return the message's id, or "" when the outbox dropped it.
  std::string Enqueue(const std::string& type, const nlohmann::json& message);
  // Enqueues a message already encoded as a JSON object without an id.
  std::string EnqueueEncoded(const std::string& type, std::string body);
  void SendAck(const std::string& id);
  absl::StatusOr<std::string> FetchCodeSnapshot(const std::string& digest);
  absl::StatusOr<std::string> UploadBlob(const std::string& path);
  void ShipLogs(const LogChunk& chunk);

  const AgentOptions options_;
  std::unique_ptr<Outbox> outbox_;
  Executor& executor_;
  ClusterInstaller& installer_;
  std::unique_ptr<RelayClient> relay_;

  void RunLauncher();

  // Finished jobs are forgotten (Executor::Forget frees their folders) once
  // the server has acknowledged their final status, on the cleaner thread
  // because removing a folder may take long.
  void OnAcknowledged(const std::string& id);
  void WatchUnsentFinalStatuses();
  void RunCleaner();
  std::mutex cleaner_mutex_;
  std::condition_variable cleaner_wake_;
  std::map<std::string, std::string> final_status_ids_;  // guarded: message id -> job
  std::deque<std::string> jobs_to_forget_;                // guarded by cleaner_mutex_
  bool cleaner_stopping_ = false;                         // guarded by cleaner_mutex_
  std::thread cleaner_;

  // Assignments wait here for the launcher thread, which fetches the code
  // snapshot and launches; the frame is acknowledged only after the launch,
  // so an assignment lost with the agent is sent again by the server.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<nlohmann::json> assignments_;  // guarded by mutex_
  std::set<std::string> pending_jobs_;      // guarded by mutex_: queued in assignments_
  bool stopping_ = false;                   // guarded by mutex_
  std::thread launcher_;
  std::thread reconcile_loop_;

  std::mutex reconcile_mutex_;  // serialises extension reconciles
  ExtensionStates extensions_;  // guarded by reconcile_mutex_
  // Copies of the state of extensions_, readable without waiting for a
  // reconcile that talks to a slow cluster.
  std::atomic<bool> training_enabled_{false};
  std::atomic<bool> log_shipping_enabled_{false};
};

}  // namespace ty::agent
