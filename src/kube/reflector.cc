#include "kube/reflector.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/status_macros.h"

namespace ty::kube {

using nlohmann::json;

std::string NameOf(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("name", "");
}

std::string ResourceVersionOf(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("resourceVersion", "");
}

Reflector::Reflector(Client& client, ReflectorOptions options, ReflectorHandler handler)
    : client_(client), options_(std::move(options)), handler_(std::move(handler)) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() { thread_ = std::thread([this] { Run(); }); }

void Reflector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (open_watch_ != nullptr) open_watch_->Cancel();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

ReflectorStats Reflector::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Reflector::Sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
  return !stopping_;
}

void Reflector::Run() {
  std::chrono::milliseconds backoff = options_.min_backoff;
  std::string resource_version;
  bool need_list = true;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    absl::Status status = absl::OkStatus();
    if (need_list) {
      absl::StatusOr<std::string> listed = ListAndSync();
      status = listed.status();
      if (listed.ok()) {
        resource_version = *listed;
        need_list = false;
      }
    }
    if (status.ok()) status = WatchFrom(resource_version);
    if (status.ok()) {
      // The server ended the watch at its timeout: continue from the last
      // event without listing again.
      backoff = options_.min_backoff;
      continue;
    }
    if (status.code() == absl::StatusCode::kCancelled) return;
    if (IsExpired(status)) {
      // The events after `resource_version` are gone; only a new list shows
      // the current state.
      {
        std::lock_guard lock(mu_);
        ++stats_.expired;
      }
      log::Info("{} {}: resourceVersion {} expired, listing again", options_.type->plural,
                options_.namespace_name, resource_version);
      need_list = true;
      continue;
    }
    if (handler_.on_error) handler_.on_error(status);
    log::Warning("{} in namespace '{}': watch interrupted, retrying in {} ms because {}",
                 options_.type->plural, options_.namespace_name, backoff.count(),
                 status.message());
    // A watch that failed for another reason continues from where it was;
    // a failed list is retried as a list.
    if (!Sleep(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::StatusOr<std::string> Reflector::ListAndSync() {
  ASSIGN_OR_RETURN(json list,
                   client_.List(*options_.type, options_.namespace_name, options_.selector));
  std::set<std::string> present;
  if (list.contains("items") && list["items"].is_array()) {
    for (json& item : list["items"]) {
      std::string name = NameOf(item);
      if (name.empty()) continue;
      present.insert(name);
      // The List's items carry no kind; watch events do. Adding it keeps
      // both kinds of delivery alike.
      item["kind"] = options_.type->kind;
      item["apiVersion"] = options_.type->api_version;
      auto cached = cache_.find(name);
      if (cached != cache_.end() && ResourceVersionOf(cached->second) == ResourceVersionOf(item)) {
        continue;
      }
      cache_[name] = item;
      if (handler_.on_upsert) handler_.on_upsert(item);
    }
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    json gone = std::move(it->second);
    it = cache_.erase(it);
    if (handler_.on_delete) handler_.on_delete(gone);
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.lists;
  }
  synced_ = true;
  if (handler_.on_synced) handler_.on_synced();
  std::string version = list.contains("metadata") && list["metadata"].is_object()
                            ? list["metadata"].value("resourceVersion", "")
                            : "";
  return version;
}

absl::Status Reflector::WatchFrom(std::string& resource_version) {
  ASSIGN_OR_RETURN(std::unique_ptr<WatchStream> watch,
                   client_.Watch(*options_.type, options_.namespace_name, options_.selector,
                                 resource_version, options_.watch_timeout_seconds));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::CancelledError("the reflector is stopping");
    open_watch_ = watch.get();
    ++stats_.watches;
  }
  absl::Status status = absl::OkStatus();
  while (true) {
    absl::StatusOr<std::optional<WatchEvent>> event = watch->Next();
    if (!event.ok()) {
      status = event.status();
      break;
    }
    if (!event->has_value()) break;
    std::string version = ResourceVersionOf((*event)->object);
    if (!version.empty()) resource_version = version;
    Deliver(**event);
  }
  std::lock_guard lock(mu_);
  open_watch_ = nullptr;
  if (stopping_) return absl::CancelledError("the reflector is stopping");
  return status;
}

void Reflector::Deliver(const WatchEvent& event) {
  if (event.type == "BOOKMARK") return;
  std::string name = NameOf(event.object);
  if (name.empty()) return;
  if (event.type == "DELETED") {
    cache_.erase(name);
    if (handler_.on_delete) handler_.on_delete(event.object);
    return;
  }
  cache_[name] = event.object;
  if (handler_.on_upsert) handler_.on_upsert(event.object);
}

}  // namespace ty::kube
