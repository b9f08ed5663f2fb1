#include "cli/runner.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "common/errors.h"
#include "common/suggest.h"

namespace ty::cli {
namespace {

constexpr size_t kHelpColumn = 34;

bool StartsWith(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool WantsHelp(const std::vector<std::string>& tokens) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [](const std::string& token) { return token == "--help" || token == "-h"; });
}

std::string FlagLine(const FlagSpec& flag) {
  std::vector<std::string> spellings = {flag.name};
  spellings.insert(spellings.end(), flag.aliases.begin(), flag.aliases.end());
  std::string left = absl::StrJoin(spellings, ", ");
  if (flag.kind == FlagKind::kValue) left += " " + flag.value_name;
  if (flag.kind == FlagKind::kList) left += fmt::format(" {} [{} ...]", flag.value_name, flag.value_name);

  std::string help = flag.help;
  if (flag.required) help += " (required)";
  std::string line = "  " + left;
  if (line.size() + 2 > kHelpColumn) {
    line += "\n" + std::string(kHelpColumn, ' ');
  } else {
    line.append(kHelpColumn - line.size(), ' ');
  }
  return line + help + "\n";
}

// Returns the words of the subcommands or subgroups directly under `prefix`.
std::vector<std::string> ChildWords(const std::vector<CommandSpec>& commands,
                                    const std::vector<std::string>& prefix) {
  std::set<std::string> words;
  for (const CommandSpec& command : commands) {
    if (command.path.size() > prefix.size() && StartsWith(command.path, prefix)) {
      words.insert(command.path[prefix.size()]);
    }
  }
  return {words.begin(), words.end()};
}

std::string GroupHelp(const std::vector<CommandSpec>& commands,
                      const std::vector<GroupSummary>& groups, const std::vector<std::string>& prefix) {
  std::string name = absl::StrJoin(prefix, " ");
  std::string text = fmt::format("usage: trainyard {}{}COMMAND [FLAGS]\n\ncommands:\n", name,
                                 prefix.empty() ? "" : " ");
  for (const std::string& word : ChildWords(commands, prefix)) {
    std::vector<std::string> path = prefix;
    path.push_back(word);
    std::string summary;
    for (const CommandSpec& command : commands) {
      if (command.path == path) summary = command.summary;
    }
    for (const GroupSummary& group : groups) {
      if (group.path == path) summary = group.summary;
    }
    std::string line = "  " + word;
    line.append(line.size() < kHelpColumn ? kHelpColumn - line.size() : 1, ' ');
    text += line + summary + "\n";
  }
  text += fmt::format("\nrun 'trainyard {}{}COMMAND --help' for the flags of a command\n", name,
                      prefix.empty() ? "" : " ");
  return text;
}

void PrintError(const CliIo& io, const absl::Status& status) {
  std::string message(status.message());
  std::string field = ErrorField(status);
  // Server messages usually start with "<field>: " already.
  if (!field.empty() && !message.starts_with(field + ":")) {
    message += fmt::format(" (field '{}')", field);
  }
  *io.err << "error: " << message << "\n";
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    *io.err << "run `trainyard login --server URL --token-file FILE` with a valid token, or set "
               "TRAINYARD_TOKEN\n";
  }
}

int RunCommand(const CommandSpec& command, const std::vector<std::string>& tokens,
               const CliIo& io) {
  std::string name = absl::StrJoin(command.path, " ");
  if (WantsHelp(tokens)) {
    *io.out << CommandHelp(command);
    return kExitSuccess;
  }

  std::vector<FlagSpec> flags = command.flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(flags, tokens);
  if (!parsed.ok()) {
    PrintError(io, parsed.status());
    *io.err << fmt::format("run 'trainyard {} --help' for usage\n", name);
    return kExitUsage;
  }
  OutputFormat output = ParseOutputFormat(parsed->Value("--output", "table")).value();

  CommandContext context(io, *std::move(parsed), output);
  absl::Status status = command.run(context);
  if (!status.ok()) {
    PrintError(io, status);
    if (IsUsageError(status)) *io.err << fmt::format("run 'trainyard {} --help' for usage\n", name);
  }
  return ExitCodeFor(status);
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitSuccess;
  return IsUsageError(status) ? kExitUsage : kExitError;
}

std::string CommandHelp(const CommandSpec& command) {
  std::string name = absl::StrJoin(command.path, " ");
  std::string usage = "usage: trainyard " + name;
  for (const FlagSpec& flag : command.flags) {
    if (!flag.required) continue;
    usage += " " + flag.name;
    if (flag.kind != FlagKind::kSwitch) usage += " " + flag.value_name;
  }
  usage += " [FLAGS]";

  std::string text = usage + "\n\n" + command.summary + "\n";
  if (!command.flags.empty()) {
    text += "\nflags:\n";
    for (const FlagSpec& flag : command.flags) text += FlagLine(flag);
  }
  text += "\nglobal flags:\n";
  for (const FlagSpec& flag : GlobalFlags()) text += FlagLine(flag);
  return text;
}

int RunCommandLine(const std::vector<std::string>& args, const std::vector<CommandSpec>& commands,
                   const std::vector<GroupSummary>& groups, const CliIo& io) {
  // The command is named by the leading words; the longest known path wins.
  std::vector<std::string> words;
  for (const std::string& arg : args) {
    if (arg.starts_with("-")) break;
    words.push_back(arg);
  }
  for (size_t length = words.size(); length > 0; --length) {
    std::vector<std::string> path(words.begin(), words.begin() + length);
    for (const CommandSpec& command : commands) {
      if (command.path == path) {
        return RunCommand(command, std::vector<std::string>(args.begin() + length, args.end()), io);
      }
    }
  }

  // No command matched: find the deepest group the words name.
  std::vector<std::string> group;
  while (group.size() < words.size()) {
    std::vector<std::string> longer = group;
    longer.push_back(words[group.size()]);
    bool is_group = std::any_of(commands.begin(), commands.end(), [&](const CommandSpec& command) {
      return StartsWith(command.path, longer);
    });
    if (!is_group) break;
    group = std::move(longer);
  }
  if (group.size() == words.size()) {
    // A group alone, such as `trainyard ml job`, prints its commands.
    // Without --help, a group alone is a usage error, so the text goes to stderr.
    bool asked = args.empty() || WantsHelp(args);
    *(asked ? io.out : io.err) << GroupHelp(commands, groups, group);
    return asked ? kExitSuccess : kExitUsage;
  }

  std::string unknown = words[group.size()];
  std::string prefix = absl::StrJoin(group, " ");
  std::string message = fmt::format("unknown command '{}{}{}'", prefix, prefix.empty() ? "" : " ",
                                    unknown);
  if (auto closest = ClosestMatch(unknown, ChildWords(commands, group))) {
    message += fmt::format("; did you mean '{}{}{}'?", prefix, prefix.empty() ? "" : " ", *closest);
  }
  *io.err << "error: " << message << "\n"
          << fmt::format("run 'trainyard {}{}--help' for the list of commands\n", prefix,
                         prefix.empty() ? "" : " ");
  return kExitUsage;
}

}  // namespace ty::cli
