#include "executors/local/job_outcome.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "absl/strings/str_join.h"

namespace ty::executors::local {
namespace {

// Signals a process usually raises itself by crashing, not ones sent to it.
bool IsCrashSignal(int signal) {
  return signal == SIGSEGV || signal == SIGABRT || signal == SIGBUS || signal == SIGFPE ||
         signal == SIGILL || signal == SIGTRAP || signal == SIGSYS;
}

// Returns the program name from a shell's "not found" line: dash writes
// "sh: 1: NAME: not found", bash "sh: line 1: NAME: command not found".
std::string MissingProgram(const std::vector<std::string>& last_lines) {
  for (auto line = last_lines.rbegin(); line != last_lines.rend(); ++line) {
    size_t end = line->rfind(": not found");
    if (end == std::string::npos) end = line->rfind(": command not found");
    if (end == std::string::npos) continue;
    size_t start = line->rfind(": ", end - 1);
    return start == std::string::npos ? line->substr(0, end) : line->substr(start + 2, end - start - 2);
  }
  return std::string();
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  if (abbreviation == nullptr) return fmt::format("signal {}", signal);
  return fmt::format("SIG{}", abbreviation);
}

RankOutcome ClassifyRankEnd(const ShimStatus& status, bool lost, const std::string& stop_reason,
                            const std::vector<std::string>& last_lines) {
  RankOutcome outcome;
  outcome.exit_code = status.exit_code;
  outcome.signal = status.signal;

  if (lost) {
    outcome.status = "Failed";
    outcome.message =
        "the shim that supervised the process was lost (killed or crashed) before it recorded "
        "how the process ended; the process group was killed";
    return outcome;
  }
  if (!status.error.empty()) {
    outcome.status = "Failed";
    outcome.message = fmt::format("could not start the command: {}", status.error);
    return outcome;
  }
  if (!stop_reason.empty()) {
    outcome.status = "Canceled";
    outcome.message = fmt::format("stopped because {}", stop_reason);
    return outcome;
  }
  if (status.exit_code == 0) {
    outcome.status = "Completed";
    return outcome;
  }

  outcome.status = "Failed";
  if (status.signal) {
    int signal = *status.signal;
    outcome.message = IsCrashSignal(signal)
                          ? fmt::format("process crashed with signal {} ({})", signal, SignalName(signal))
                          : fmt::format("process killed by signal {} ({}) from outside the agent",
                                        signal, SignalName(signal));
    return outcome;
  }

  int code = status.exit_code.value_or(-1);
  if (code == 127) {
    std::string program = MissingProgram(last_lines);
    outcome.message =
        program.empty()
            ? "command not found (exit code 127); check the command and that its program is on PATH"
            : fmt::format("command not found: '{}' (exit code 127); install it or fix the "
                          "command or PATH",
                          program);
    return outcome;
  }
  outcome.message = fmt::format("process exited with code {}", code);
  // Shells report a child killed by signal N as exit code 128 + N.
  if (code > 128 && code < 128 + NSIG && sigabbrev_np(code - 128) != nullptr) {
    outcome.message += fmt::format(", which a shell uses for a child killed by signal {} ({})",
                                   code - 128, SignalName(code - 128));
  }
  return outcome;
}

std::string RankFailureMessage(int rank, int world, const RankOutcome& outcome,
                               const std::vector<std::string>& last_lines) {
  if (world == 1) return outcome.message;
  std::string message = fmt::format("rank {} of {} failed: {}", rank, world, outcome.message);
  if (!last_lines.empty()) {
    message += fmt::format("; its last output lines: {}", absl::StrJoin(last_lines, " | "));
  }
  return message;
}

}  // namespace ty::executors::local
