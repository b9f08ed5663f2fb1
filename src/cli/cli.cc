#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/runner.h"
#include "common/http/client.h"

namespace ty::cli {

int RunCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  CliIo io{
      .out = &std::cout,
      .err = &std::cerr,
      .in = &std::cin,
      .interactive = ::isatty(STDIN_FILENO) == 1,
      .env = [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      .connect = [](std::string_view base_url, const http::ClientOptions& options) {
        return http::Client::Create(base_url, options);
      },
  };
  int code = RunCommandLine(args, AllCommands(), AllGroups(), io);
  std::cout.flush();
  return code;
}

}  // namespace ty::cli
