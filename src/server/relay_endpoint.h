#pragma once

// The relay as the HTTP server sees it: the filter and handler for
// `GET /api/v1/relay` upgrades, and the scheduler that feeds assignments
// into the connections. Owned by the server command.

#include <memory>

#include "common/http/server.h"
#include "server/relay_hub.h"
#include "server/scheduler.h"
#include "store/database.h"
#include "store/notifier.h"

namespace ty::server {

class RelayService {
 public:
  RelayService(store::Database& database, store::Notifier& notifier, RelayOptions options);
  ~RelayService();

  // Starts the scheduler thread.
  void Start();

  // Stops the scheduler and closes every agent connection.
  void Stop();

  // For http::Server::Start: rejects upgrades without a valid cluster
  // credential (401), then serves each agent connection.
  http::WebSocketFilter Filter();
  http::WebSocketHandler Handler();

  RelayHub& hub() { return hub_; }
  Scheduler& scheduler() { return scheduler_; }

 private:
  RelayHub hub_;
  Scheduler scheduler_;
};

}  // namespace ty::server
