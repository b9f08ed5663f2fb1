#pragma once

// Keeps a local copy of a set of objects (one type, one namespace, one
// label selector) current: it lists, then watches from the list's
// resourceVersion, lists again when the server returns 410 Gone, starts a
// new watch when the server ends one (its timeout), and reconnects with
// backoff after errors. Consumers see each change once as an upsert or a
// delete, including the deletes that a re-list reveals.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "kube/client.h"

namespace ty::kube {

struct ReflectorOptions {
  const ResourceType* type = nullptr;
  std::string namespace_name;
  ListOptions selector;
  int watch_timeout_seconds = 300;  // the server ends each watch after this
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
};

// Called on the reflector's thread, one call at a time.
struct ReflectorHandler {
  std::function<void(const nlohmann::json& object)> on_upsert;
  std::function<void(const nlohmann::json& object)> on_delete;
  // After each successful list, once its upserts and deletes are delivered.
  std::function<void()> on_synced;
  // A failed list or watch; the reflector retries after a backoff.
  std::function<void(const absl::Status& status)> on_error;
};

// Counters for tests and logs.
struct ReflectorStats {
  int lists = 0;    // successful lists
  int watches = 0;  // watches opened
  int expired = 0;  // 410 Gone answers
};

class Reflector {
 public:
  Reflector(Client& client, ReflectorOptions options, ReflectorHandler handler);
  ~Reflector();

  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Starts the thread. Call once.
  void Start();

  // Ends the open watch and joins the thread. Safe to call twice.
  void Stop();

  // True once the first list has been delivered.
  bool synced() const { return synced_; }

  ReflectorStats stats() const;

 private:
  void Run();
  // Lists, delivers the differences to the cache and returns the list's
  // resourceVersion.
  absl::StatusOr<std::string> ListAndSync();
  // Watches from `resource_version` until the watch ends or fails;
  // `resource_version` follows the events.
  absl::Status WatchFrom(std::string& resource_version);
  void Deliver(const WatchEvent& event);
  // Waits `delay` unless stopped first; returns false when stopped.
  bool Sleep(std::chrono::milliseconds delay);

  Client& client_;
  const ReflectorOptions options_;
  const ReflectorHandler handler_;
  std::thread thread_;
  std::atomic<bool> synced_{false};

  // The last state seen of each object, by name, for re-list differences.
  std::map<std::string, nlohmann::json> cache_;  // only the reflector's thread

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                   // guarded by mu_
  WatchStream* open_watch_ = nullptr;       // guarded by mu_
  ReflectorStats stats_;                    // guarded by mu_
};

// The object's metadata.name, or "".
std::string NameOf(const nlohmann::json& object);

// The object's metadata.resourceVersion, or "".
std::string ResourceVersionOf(const nlohmann::json& object);

}  // namespace ty::kube
