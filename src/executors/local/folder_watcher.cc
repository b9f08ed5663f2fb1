#include "executors/local/folder_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/log.h"
#include "executors/local/file_util.h"

namespace ty::executors::local {
namespace {

// Reads and discards everything pending on a non-blocking descriptor.
void Drain(int fd) {
  char buffer[4096];
  while (read(fd, buffer, sizeof(buffer)) > 0) {
  }
}

}  // namespace

FolderWatcher::FolderWatcher()
    : inotify_fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (inotify_fd_ < 0) {
    ty::log::Warning("rank ends are seen at the next poll because inotify is unavailable: {}",
                     ErrnoText(errno));
  }
}

FolderWatcher::~FolderWatcher() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void FolderWatcher::Watch(const std::string& folder) {
  if (inotify_fd_ < 0) return;
  if (inotify_add_watch(inotify_fd_, folder.c_str(), IN_MOVED_TO) < 0) {
    ty::log::Warning("changes in '{}' are seen at the next poll because inotify failed: {}",
                     folder, ErrnoText(errno));
  }
}

void FolderWatcher::Wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof(one));
}

void FolderWatcher::Wait(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
  if (poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return;
  if (fds[0].revents & POLLIN) Drain(wake_fd_);
  if (fds[1].revents & POLLIN) Drain(inotify_fd_);
}

}  // namespace ty::executors::local
