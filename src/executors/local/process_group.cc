#include "executors/local/process_group.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "common/time.h"
#include "executors/local/file_util.h"

namespace ty::executors::local {
namespace {

// Reads from `fd` until end of file.
std::string ReadAll(int fd) {
  std::string data;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace

absl::StatusOr<pid_t> SpawnShim(const std::string& shim_path, const std::string& rank_dir) {
  std::string log_path = rank_dir + "/shim.log";
  char* argv[] = {const_cast<char*>(shim_path.c_str()), const_cast<char*>("shim"),
                  const_cast<char*>(rank_dir.c_str()), nullptr};

  // `pid_pipe` carries the shim's pid from the intermediate process;
  // `exec_pipe` carries exec's errno from the shim and closes on success.
  int pid_pipe[2], exec_pipe[2];
  if (pipe2(pid_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(fmt::format("create pipe: {}", ErrnoText(errno)));
  }
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close(pid_pipe[0]);
    close(pid_pipe[1]);
    return absl::InternalError(fmt::format("create pipe: {}", ErrnoText(errno)));
  }

  pid_t intermediate = fork();
  if (intermediate == 0) {
    // Only async-signal-safe calls until exec: the agent has other threads.
    pid_t shim = fork();
    if (shim == 0) {
      int null_fd = open("/dev/null", O_RDONLY);
      int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(null_fd, STDIN_FILENO);
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      // The shim starts with the signals it handles blocked, so a SIGTERM
      // sent right after exec waits for its handler instead of killing it.
      sigset_t handled;
      sigemptyset(&handled);
      for (int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal_number);
      sigprocmask(SIG_SETMASK, &handled, nullptr);
      // Descriptors the agent opened without O_CLOEXEC must not reach the
      // shim, which lives far longer than the agent's sockets and files.
      if (exec_pipe[1] > 3) close_range(3, exec_pipe[1] - 1, 0);
      close_range(exec_pipe[1] + 1, ~0U, 0);
      execv(shim_path.c_str(), argv);
      int saved = errno;
      (void)!write(exec_pipe[1], &saved, sizeof(saved));
      _exit(127);
    }
    (void)!write(pid_pipe[1], &shim, sizeof(shim));
    _exit(shim > 0 ? 0 : 1);
  }
  close(pid_pipe[1]);
  close(exec_pipe[1]);
  if (intermediate < 0) {
    int saved = errno;
    close(pid_pipe[0]);
    close(exec_pipe[0]);
    return absl::InternalError(fmt::format("fork: {}", ErrnoText(saved)));
  }
  while (waitpid(intermediate, nullptr, 0) < 0 && errno == EINTR) {
  }

  std::string pid_bytes = ReadAll(pid_pipe[0]);
  std::string exec_bytes = ReadAll(exec_pipe[0]);
  close(pid_pipe[0]);
  close(exec_pipe[0]);
  pid_t shim = -1;
  if (pid_bytes.size() == sizeof(shim)) std::memcpy(&shim, pid_bytes.data(), sizeof(shim));
  if (shim <= 0) return absl::InternalError("fork of the shim process failed");
  if (exec_bytes.size() == sizeof(int)) {
    int exec_errno = 0;
    std::memcpy(&exec_errno, exec_bytes.data(), sizeof(exec_errno));
    return absl::InternalError(fmt::format("start shim '{}': {}; check the executor's shim path",
                                           shim_path, ErrnoText(exec_errno)));
  }
  return shim;
}

bool IsShimAlive(pid_t pid, const std::string& rank_dir) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return false;

  // A zombie has an empty command line, so it fails the match below too.
  auto cmdline = ReadFile(fmt::format("/proc/{}/cmdline", pid));
  if (!cmdline.ok()) return false;
  std::vector<std::string> args = absl::StrSplit(*cmdline, '\0');
  return args.size() >= 3 && args[1] == "shim" && args[2] == rank_dir;
}

bool GroupExists(pid_t pgid) { return pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM); }

std::string FindOnPath(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) {
    return access(program.c_str(), X_OK) == 0 ? program : std::string();
  }
  for (absl::string_view folder : absl::StrSplit(path, ':')) {
    if (folder.empty()) continue;
    std::string candidate = fmt::format("{}/{}", std::string(folder), program);
    struct stat info;
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::string();
}

absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout) {
  const char* path_env = std::getenv("PATH");
  std::string program = FindOnPath(argv.at(0), path_env ? path_env : "/usr/bin:/bin");
  if (program.empty()) {
    return absl::NotFoundError(fmt::format("'{}' is not on PATH", argv[0]));
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(fmt::format("create pipe: {}", ErrnoText(errno)));
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execv(program.c_str(), args.data());
    _exit(127);
  }
  close(out[1]);
  if (pid < 0) {
    close(out[0]);
    return absl::InternalError(fmt::format("fork: {}", ErrnoText(errno)));
  }

  std::string output;
  int64_t deadline = NowMillis() + timeout.count();
  bool timed_out = false;
  while (true) {
    int64_t left = deadline - NowMillis();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fd = {out[0], POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  close(out[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (timed_out) {
    return absl::DeadlineExceededError(
        fmt::format("'{}' did not finish within {} ms", argv[0], timeout.count()));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(fmt::format("'{}' failed with wait status {}", argv[0], status));
  }
  return output;
}

}  // namespace ty::executors::local
