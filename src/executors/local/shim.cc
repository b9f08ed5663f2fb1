#include "executors/local/shim.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/time.h"
#include "executors/local/file_util.h"
#include "executors/local/log_format.h"
#include "executors/local/shim_protocol.h"

namespace ty::executors::local {
namespace {

// Disk space set aside for status.json: far more than an encoded status
// with its error messages takes.
constexpr size_t kStatusReserveBytes = 16 * 1024;

// One captured stream: the pipe from the command and the log file.
struct Stream {
  int pipe_fd = -1;
  int log_fd = -1;
  LineSplitter splitter;
};

void LogShim(const std::string& message) {
  std::string line = fmt::format("{} shim[{}]: {}\n", FormatRfc3339(NowMillis()), getpid(),
                                 message);
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

// Appends `texts` as records; returns false when the file rejected them.
bool AppendRecords(int fd, const std::vector<std::string>& texts, std::string* log_error) {
  if (texts.empty()) return true;
  int64_t now = NowMillis();
  std::string records;
  for (const std::string& text : texts) records += FormatRecord(now, text);

  size_t written = 0;
  while (written < records.size()) {
    ssize_t n = write(fd, records.data() + written, records.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // The caller keeps draining the pipe, so the command does not block on
      // a full pipe. The loss is reported in status.json.
      if (log_error->empty()) {
        *log_error = fmt::format("some output was not stored: {}", ErrnoText(errno));
      }
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

// Reads what the pipe has; closes it at end of file.
void DrainPipe(Stream* stream, std::string* log_error) {
  char buffer[65536];
  ssize_t n = read(stream->pipe_fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) {
    AppendRecords(stream->log_fd, stream->splitter.Feed(std::string_view(buffer, n)), log_error);
    return;
  }
  AppendRecords(stream->log_fd, stream->splitter.Finish(), log_error);
  close(stream->pipe_fd);
  stream->pipe_fd = -1;
}

// Returns the processes whose parent is this shim: the command and, because
// the shim is a child subreaper, every orphan the command left behind.
std::vector<pid_t> ListChildren() {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  pid_t self = getpid();
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    auto stat = ReadFile(fmt::format("/proc/{}/stat", pid));
    if (!stat.ok()) continue;
    // The parent pid is the second field after the parenthesised name.
    size_t name_end = stat->rfind(')');
    if (name_end == std::string::npos) continue;
    char state = 0;
    int parent = 0;
    if (std::sscanf(stat->c_str() + name_end + 1, " %c %d", &state, &parent) == 2 &&
        parent == self) {
      children.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return children;
}

// Sends `signal` to the command's group and to every descendant that left it.
void SignalEverything(pid_t group, int signal) {
  kill(-group, signal);
  for (pid_t child : ListChildren()) {
    pid_t child_group = getpgid(child);
    if (child_group > 0 && child_group != getpgrp()) kill(-child_group, signal);
    kill(child, signal);
  }
}

// Forks and execs `/bin/sh -c` in its own process group. Returns the pid, or
// -1 with `error` set when the command could not be started.
pid_t StartCommand(const ShimLaunch& launch, int stdout_fd, int stderr_fd, std::string* error) {
  std::vector<std::string> entries;
  for (const auto& [name, value] : launch.environment) entries.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : entries) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error = fmt::format("create pipe: {}", ErrnoText(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *error = fmt::format("fork: {}", ErrnoText(errno));
    close(report[0]);
    close(report[1]);
    return -1;
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored signals stay ignored across exec, so reset every disposition
    // the agent or the shim may have changed.
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
      signal(signal_number, SIG_DFL);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(stdout_fd, STDOUT_FILENO);
    dup2(stderr_fd, STDERR_FILENO);

    // Only async-signal-safe calls from here on; the message goes back
    // through the report pipe.
    const char* failed_step = "chdir";
    if (chdir(launch.working_dir.c_str()) == 0) {
      failed_step = "exec /bin/sh";
      char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                      const_cast<char*>(launch.command.c_str()), nullptr};
      execve("/bin/sh", argv, envp.data());
    }
    int saved = errno;
    (void)!write(report[1], failed_step, strlen(failed_step));
    (void)!write(report[1], ": ", 2);
    const char* reason = strerror(saved);
    (void)!write(report[1], reason, strlen(reason));
    _exit(127);
  }

  // Both sides call setpgid, so the group exists before either goes on.
  setpgid(pid, pid);
  close(report[1]);
  char buffer[512];
  ssize_t n;
  while ((n = read(report[0], buffer, sizeof(buffer))) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (n > 0) {
    *error = std::string(buffer, n);
    if (error->starts_with("chdir")) {
      *error = fmt::format("working folder '{}': {}", launch.working_dir, error->substr(7));
    }
  }
  return pid;
}

// Supervises the running command until it and everything it left are gone.
class Supervisor {
 public:
  Supervisor(pid_t child, int64_t grace_ms, int signal_fd)
      : child_(child), grace_ms_(grace_ms), signal_fd_(signal_fd) {}

  ShimStatus Run(Stream* out, Stream* err) {
    while (!Done(*out, *err)) {
      pollfd fds[3] = {{signal_fd_, POLLIN, 0}, {out->pipe_fd, POLLIN, 0}, {err->pipe_fd, POLLIN, 0}};
      int rc = poll(fds, 3, PollTimeoutMs());
      if (rc < 0 && errno != EINTR) {
        LogShim(fmt::format("poll failed: {}", ErrnoText(errno)));
        sleep(1);
      }
      if (fds[0].revents & POLLIN) HandleSignals();
      if (out->pipe_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        DrainPipe(out, &status_.log_error);
      }
      if (err->pipe_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
        DrainPipe(err, &status_.log_error);
      }
      Reap();
      EnforceDeadline();
    }
    return status_;
  }

 private:
  bool Done(const Stream& out, const Stream& err) {
    return child_exited_ && out.pipe_fd < 0 && err.pipe_fd < 0 && ListChildren().empty();
  }

  int PollTimeoutMs() const {
    // While something is left to stop, the loop wakes up to sweep it.
    if (child_exited_) return 100;
    if (kill_deadline_ms_ > 0) return 100;
    return -1;
  }

  void HandleSignals() {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
        status_.stop_requested = true;
        LogShim(fmt::format("received signal {}, forwarding SIGTERM to group {}", info.ssi_signo,
                            child_));
        StartStopping();
      }
    }
  }

  void Reap() {
    int wait_status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
      if (pid != child_) continue;
      child_exited_ = true;
      // The end of the command, not of the clean-up after it, is what the
      // executor compares with the time it requested a stop.
      status_.finished_ms = NowMillis();
      if (WIFEXITED(wait_status)) status_.exit_code = WEXITSTATUS(wait_status);
      if (WIFSIGNALED(wait_status)) status_.signal = WTERMSIG(wait_status);
      // Whatever the command leaves behind is stopped too, so the end of
      // the command is the end of the rank.
      StartStopping();
    }
  }

  void StartStopping() {
    if (kill_deadline_ms_ == 0) kill_deadline_ms_ = NowMillis() + grace_ms_;
    SignalEverything(child_, SIGTERM);
  }

  void EnforceDeadline() {
    if (kill_deadline_ms_ > 0 && NowMillis() >= kill_deadline_ms_) {
      SignalEverything(child_, SIGKILL);
    } else if (child_exited_) {
      SignalEverything(child_, SIGTERM);
    }
  }

  pid_t child_;
  int64_t grace_ms_;
  int signal_fd_;
  bool child_exited_ = false;
  int64_t kill_deadline_ms_ = 0;
  ShimStatus status_;
};

}  // namespace

int RunShim(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "shim") {
    std::fprintf(stderr, "usage: %s shim <rank folder>\n", argc > 0 ? argv[0] : "trainyard");
    return 2;
  }
  std::string rank_dir = argv[2];

  // A session of its own keeps the shim alive when the agent's session or
  // process group is killed. As a subreaper, it adopts the command's orphans.
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal_number);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  int signal_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);

  auto write_status = [&](const ShimStatus& status) {
    // The outcome is the one file that must outlive a machine crash: the
    // agent may not have reported it yet. It goes into the space reserved
    // below, because the command may have filled the disk by now.
    std::string path = rank_dir + "/" + kStatusFile;
    std::string encoded = EncodeShimStatus(status);
    absl::Status written = WriteReservedFile(path, encoded);
    if (!written.ok()) {
      LogShim(std::string(written.message()));
      written = WriteFileAtomic(path, encoded, Durability::kMachineCrash);
    }
    if (!written.ok()) LogShim(std::string(written.message()));
    return written.ok() ? 0 : 1;
  };
  if (absl::Status written = WriteFileAtomic(rank_dir + "/" + kShimPidFile,
                                             std::to_string(getpid()));
      !written.ok()) {
    LogShim(std::string(written.message()));
    return 1;
  }
  if (absl::Status reserved = ReserveFile(rank_dir + "/" + kStatusFile, kStatusReserveBytes);
      !reserved.ok()) {
    LogShim(fmt::format("{}; the outcome cannot be recorded if the disk fills up",
                        std::string(reserved.message())));
  }

  ShimStatus failed;
  failed.exit_code = 127;
  auto launch_text = ReadFile(rank_dir + "/" + kLaunchFile);
  auto launch = launch_text.ok() ? DecodeShimLaunch(*launch_text) : launch_text.status();
  if (!launch.ok() || signal_fd < 0) {
    failed.error = launch.ok() ? fmt::format("signalfd: {}", ErrnoText(errno))
                               : std::string(launch.status().message());
    failed.finished_ms = NowMillis();
    return write_status(failed);
  }

  Stream out, err;
  int out_pipe[2], err_pipe[2];
  out.log_fd = open((rank_dir + "/" + kStdoutFile).c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  err.log_fd = open((rank_dir + "/" + kStderrFile).c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out.log_fd < 0 || err.log_fd < 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    failed.error = fmt::format("prepare output capture in '{}': {}", rank_dir, ErrnoText(errno));
    failed.finished_ms = NowMillis();
    return write_status(failed);
  }

  pid_t child = StartCommand(*launch, out_pipe[1], err_pipe[1], &failed.error);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out.pipe_fd = out_pipe[0];
  err.pipe_fd = err_pipe[0];
  if (child < 0) {
    failed.finished_ms = NowMillis();
    return write_status(failed);
  }
  if (absl::Status written = WriteFileAtomic(rank_dir + "/" + kChildPgidFile,
                                             std::to_string(child));
      !written.ok()) {
    LogShim(std::string(written.message()));
  }

  ShimStatus status = Supervisor(child, launch->grace_ms, signal_fd).Run(&out, &err);
  if (!failed.error.empty()) status.error = failed.error;
  LogShim(fmt::format("command ended: exit code {}, signal {}",
                      status.exit_code ? std::to_string(*status.exit_code) : "none",
                      status.signal ? std::to_string(*status.signal) : "none"));
  return write_status(status);
}

}  // namespace ty::executors::local
