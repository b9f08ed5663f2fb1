// The single `trainyard` binary. The first argument picks a process role
// (server, agent, up, shim); anything else is a CLI command.

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

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "shim") == 0) {
    // Started by the local executor for each job rank, not by people; it
    // reads its arguments from argv[2] on.
    return ty::executors::local::RunShim(argc, argv);
  }
  if (argc >= 2) {
    for (const Role& role : kRoles) {
      if (std::strcmp(argv[1], role.name) == 0) return role.run(argc - 1, argv + 1);
    }
  }
  return ty::cli::RunCli(argc, argv);
}
