#pragma once

// Lets a job's thread sleep until a rank folder changes, another thread
// wakes it, or a timeout passes, so a rank's end is seen at once rather than
// at the next poll.

#include <chrono>
#include <string>

namespace ty::executors::local {

// Wake() is thread-safe; Watch() and Wait() belong to one thread.
class FolderWatcher {
 public:
  FolderWatcher();
  ~FolderWatcher();

  FolderWatcher(const FolderWatcher&) = delete;
  FolderWatcher& operator=(const FolderWatcher&) = delete;

  // Wakes Wait() when a file is renamed into `folder`, as the shim's atomic
  // writes of status.json, shim.pid and child.pgid do. Without inotify
  // (for example when its watch limit is reached) Wait() falls back to its
  // timeout.
  void Watch(const std::string& folder);

  // Makes the current or next Wait() return at once.
  void Wake();

  // Returns after `timeout`, on Wake(), or on a change in a watched folder.
  void Wait(std::chrono::milliseconds timeout);

 private:
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
};

}  // namespace ty::executors::local
