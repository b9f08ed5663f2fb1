#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ty::up {

// A child process started by `trainyard up`, with stdout and stderr appended
// to a log file. Not thread-safe.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  // Starts `argv` (argv[0] is the executable path) with its output appended
  // to `log_path`. kInternal when the log cannot be opened or spawn fails.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_path);

  // True while the process has not exited; reaps it when it has.
  bool Running();

  // Sends SIGTERM, waits up to `grace_seconds`, then SIGKILL. Returns the
  // exit status as waitpid reports it. Safe to call after the process ended.
  int Stop(int grace_seconds);

  pid_t pid() const { return pid_; }
  // Exit status from waitpid once the process ended, otherwise -1.
  int wait_status() const { return wait_status_; }

 private:
  pid_t pid_ = -1;
  int wait_status_ = -1;
};

// Returns the last `lines` lines of the file at `path`, for error messages.
std::string TailFile(const std::string& path, int lines);

}  // namespace ty::up
