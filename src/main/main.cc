// The single `trainyard` binary. The first argument picks a process role
// (server, agent, up, shim); anything else is a CLI command.

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "cli/cli.h"
#include "executors/local/shim.h"
#include "main/agent_command.h"
#include "server/server_command.h"
#include "up/up_command.h"

namespace {

struct Role {
  const char* name;
  int (*run)(int argc, char** argv);
};

constexpr Role kRoles[] = {
    {"server", ty::server::RunServerCommand},
    {"agent", ty::RunAgentCommand},
    {"up", ty::up::RunUpCommand},
};

}  // namespace

// Arranges SIGTERM for this process when the `trainyard up` that started it
// dies, so a killed up leaves no server or agent behind. The variable is
// removed, so that the agent's jobs do not inherit it.
void StopWithParent() {
  const char* parent = std::getenv(ty::up::kParentPidVariable);
  if (parent == nullptr) return;
  pid_t expected = static_cast<pid_t>(std::atol(parent));
  unsetenv(ty::up::kParentPidVariable);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // up may have died before prctl took effect.
  if (getppid() != expected) raise(SIGTERM);
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "shim") == 0) {
    // Started by the local executor for each job rank, not by people; it
    // reads its arguments from argv[2] on.
    return ty::executors::local::RunShim(argc, argv);
  }
  if (argc >= 2) {
    for (const Role& role : kRoles) {
      if (std::strcmp(argv[1], role.name) != 0) continue;
      if (std::strcmp(role.name, "up") != 0) StopWithParent();
      return role.run(argc - 1, argv + 1);
    }
  }
  return ty::cli::RunCli(argc, argv);
}
