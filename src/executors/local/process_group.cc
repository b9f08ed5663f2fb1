#include "executors/local/process_group.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
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

absl::StatusOr<pid_t> SpawnShim(const std::string& shim_path, const std::string& rank_dir) {
  std::string log_path = rank_dir + "/shim.log";
  char* argv[] = {const_cast<char*>(shim_path.c_str()), const_cast<char*>("shim"),
                  const_cast<char*>(rank_dir.c_str()), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // Descriptors the agent opened without O_CLOEXEC must not reach the shim,
  // which lives far longer than the agent's sockets and files.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  // The shim starts with the signals it handles blocked, so a SIGTERM sent
  // right after exec waits for its handler instead of killing it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal_number);
  posix_spawnattr_setsigmask(&attributes, &handled);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  pid_t shim = -1;
  int result = posix_spawn(&shim, shim_path.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (result != 0) {
    return absl::InternalError(fmt::format("start shim '{}': {}; check the executor's shim path",
                                           shim_path, ErrnoText(result)));
  }
  return shim;
}

bool ShimMatches(std::string_view cmdline, char state, const std::string& rank_dir) {
  if (state == 'Z' || state == 'X' || state == '\0') return false;
  // The kernel shows an empty command line while exec replaces the
  // process's memory: the shim is starting, not gone.
  if (cmdline.empty()) return true;
  std::vector<absl::string_view> args =
      absl::StrSplit(absl::string_view(cmdline.data(), cmdline.size()), '\0');
  return args.size() >= 3 && args[1] == "shim" && args[2] == rank_dir;
}

void ReapShim(pid_t pid, std::chrono::milliseconds wait) {
  if (pid <= 0) return;
  int64_t deadline = NowMillis() + wait.count();
  while (true) {
    pid_t result = waitpid(pid, nullptr, WNOHANG);
    if (result != 0 || NowMillis() >= deadline) return;
    usleep(2000);
  }
}

bool IsShimAlive(pid_t pid, const std::string& rank_dir) {
  if (pid <= 0) return false;
  // Reaps the shim when it is this agent's child; a shim left by an earlier
  // agent process belongs to init and gives ECHILD.
  if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;

  auto cmdline = ReadFile(fmt::format("/proc/{}/cmdline", pid));
  if (!cmdline.ok()) return false;
  // Only a process with an empty command line can be a zombie, so the
  // state is read only then; this runs for every rank on every poll.
  char state = 'S';
  if (cmdline->empty()) {
    auto stat = ReadFile(fmt::format("/proc/{}/stat", pid));
    if (!stat.ok()) return false;
    // The state follows the parenthesized command name, which may itself
    // contain ") ", so the last one is the end of the name.
    size_t name_end = stat->rfind(") ");
    state = name_end != std::string::npos && name_end + 2 < stat->size()
                ? (*stat)[name_end + 2]
                : '\0';
  }
  return ShimMatches(*cmdline, state, rank_dir);
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
