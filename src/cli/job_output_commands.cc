// trainyard ml job logs|stream|download

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/code_archive.h"
#include "cli/commands.h"
#include "cli/download_path.h"
#include "cli/files.h"
#include "cli/job_logs.h"
#include "cli/table.h"
#include "common/http/message.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

absl::StatusOr<std::string> TargetJobPath(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(std::string workspace, context.Workspace());
  return JobPath(group, workspace, context.flags().Value("--name"));
}

absl::Status ShowLogs(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, TargetJobPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  return PrintLogs(context, *api, path,
                   {.follow = context.flags().Has("--follow"),
                    .rank = context.flags().Optional("--rank")});
}

absl::Status Stream(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, TargetJobPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  return StreamJob(context, *api, path);
}

// Percent-encodes each segment of an artifact path, keeping the slashes.
std::string EncodeArtifactPath(const std::string& path) {
  std::vector<std::string> segments;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    segments.push_back(http::PercentEncode(std::string(segment)));
  }
  return absl::StrJoin(segments, "/");
}

absl::Status Download(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string job_path, TargetJobPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json artifacts, api->ListAll(job_path + "/artifacts"));
  std::filesystem::path root = context.flags().Value("--download-path", ".");

  // Every path is checked before the first file is written, so a bad entry
  // leaves nothing half downloaded.
  std::vector<std::filesystem::path> destinations;
  for (const nlohmann::json& artifact : artifacts) {
    ASSIGN_OR_RETURN(std::filesystem::path destination,
                     ResolveDownloadPath(root, FieldText(artifact, "path")));
    destinations.push_back(destination);
  }

  Table table({"Path", "Size"});
  for (size_t i = 0; i < artifacts.size(); ++i) {
    std::string path = FieldText(artifacts[i], "path");
    ASSIGN_OR_RETURN(std::string content,
                     api->GetBytes(job_path + "/artifacts/" + EncodeArtifactPath(path)));
    std::string expected = FieldText(artifacts[i], "digest");
    if (!expected.empty() && Sha256Digest(content) != expected) {
      return absl::DataLossError(fmt::format(
          "artifact '{}' does not match its digest {} (got {}); download it again", path,
          expected, Sha256Digest(content)));
    }
    RETURN_IF_ERROR(WriteFileAtomically(destinations[i], content, 0644));
    table.AddRow({destinations[i].string(), FormatBytes(content.size())});
  }

  nlohmann::json result = {{"downloadPath", root.string()}, {"artifacts", artifacts}};
  context.Print(result, [&] {
    if (artifacts.empty()) return std::string("the job has no artifacts\n");
    return table.Render() +
           fmt::format("downloaded {} artifact{} to '{}'\n", artifacts.size(),
                       artifacts.size() == 1 ? "" : "s", root.string());
  });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> JobOutputCommands() {
  FlagSpec name = NameFlag("name of the job");
  return {
      {.path = {"ml", "job", "logs"},
       .summary = "Prints a job's logs.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag(),
                 {.name = "--follow",
                  .kind = FlagKind::kSwitch,
                  .help = "keep printing new lines until the job ends"},
                 {.name = "--rank",
                  .value_name = "RANK",
                  .help = "only the lines of this process rank"}},
       .run = ShowLogs},
      {.path = {"ml", "job", "stream"},
       .summary = "Follows a job's logs until it ends; exits 0 only if it Completed.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag()},
       .run = Stream},
      {.path = {"ml", "job", "download"},
       .summary = "Downloads a job's artifacts, keeping their relative paths.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag(),
                 {.name = "--download-path",
                  .aliases = {"-p"},
                  .value_name = "DIR",
                  .help = "folder to download into; the current folder by default"}},
       .run = Download},
  };
}

}  // namespace ty::cli
