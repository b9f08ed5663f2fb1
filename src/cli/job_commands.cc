// trainyard ml job create|list|show|cancel

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "api/job_spec.h"
#include "cli/code_archive.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/job_logs.h"
#include "cli/job_view.h"
#include "cli/yaml_json.h"
#include "common/http/limits.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

struct JobTarget {
  std::string group;
  std::string workspace;
};

absl::StatusOr<JobTarget> Target(CommandContext& context) {
  JobTarget target;
  ASSIGN_OR_RETURN(target.group, context.ResourceGroup());
  ASSIGN_OR_RETURN(target.workspace, context.Workspace());
  return target;
}

std::string JobsPath(const JobTarget& target) {
  return ApiPath({"resourceGroups", target.group, "workspaces", target.workspace, "jobs"});
}

// Returns the code size limit: TRAINYARD_MAX_CODE_MIB, or the server's
// upload limit, which a larger value could never pass.
absl::StatusOr<uint64_t> MaxCodeBytes(const CommandContext& context) {
  std::optional<std::string> value = context.io().env("TRAINYARD_MAX_CODE_MIB");
  if (!value || value->empty()) return kDefaultMaxCodeBytes;
  constexpr uint64_t kUploadLimitMib = http::kMaxRequestBodyBytes >> 20;
  uint64_t mebibytes = 0;
  if (!absl::SimpleAtoi(*value, &mebibytes) || mebibytes == 0) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid TRAINYARD_MAX_CODE_MIB '{}'; expected a positive number of MiB", *value));
  }
  if (mebibytes > kUploadLimitMib) {
    return absl::InvalidArgumentError(fmt::format(
        "TRAINYARD_MAX_CODE_MIB '{}' is above the server's upload limit of {} MiB; set it to {} "
        "or less and pass larger data as a job input",
        *value, kUploadLimitMib, kUploadLimitMib));
  }
  return mebibytes << 20;
}

// Whether `code` names a local folder rather than a registered asset
// ("azureml:name:1") or a remote location.
bool IsLocalCode(const std::string& code) {
  for (const char* scheme : {"azureml:", "http://", "https://", "git+", "s3://", "gs://"}) {
    if (code.starts_with(scheme)) return false;
  }
  return !code.empty();
}

// Packs and uploads the spec's local code folder, if it names one. Returns
// the snapshot digest, or "" when there is nothing to upload.
absl::StatusOr<std::string> UploadCode(CommandContext& context, ApiClient& api,
                                       const std::string& spec_text,
                                       const std::filesystem::path& spec_file) {
  ASSIGN_OR_RETURN(nlohmann::json spec, ParseYaml(spec_text, spec_file.string()));
  if (!spec.is_object() || !spec.contains("code") || !spec["code"].is_string()) return "";
  std::string code = spec["code"].get<std::string>();
  if (!IsLocalCode(code)) return "";

  std::filesystem::path folder = code;
  if (folder.is_relative()) folder = spec_file.parent_path() / folder;
  ASSIGN_OR_RETURN(uint64_t max_bytes, MaxCodeBytes(context));
  ASSIGN_OR_RETURN(CodeArchive archive,
                   PackCodeFolder(folder.lexically_normal(), {.max_bytes = max_bytes}));

  ASSIGN_OR_RETURN(nlohmann::json blob,
                   api.PostBody(ApiPath({"blobs"}), archive.tar, "application/octet-stream"));
  std::string digest = FieldText(blob, "digest");
  if (digest.empty()) {
    return absl::InternalError("the server stored the code snapshot but returned no digest");
  }
  if (context.output() == OutputFormat::kTable) {
    std::string excluded;
    if (!archive.rule_files.empty()) {
      excluded = fmt::format(", {} path{} left out by {}", archive.excluded_count,
                             archive.excluded_count == 1 ? "" : "s",
                             fmt::join(archive.rule_files, ", "));
    }
    context.err() << fmt::format("uploaded code folder '{}': {} files, {}{} ({})\n", code,
                                 archive.file_count, FormatBytes(archive.content_bytes), excluded,
                                 digest);
  }
  return digest;
}

absl::Status CreateJob(CommandContext& context) {
  const ParsedFlags& flags = context.flags();
  std::filesystem::path spec_file = flags.Value("--file");
  ASSIGN_OR_RETURN(std::string spec_text, ReadFile(spec_file));

  std::vector<std::string> overrides = flags.Values("--set");
  if (flags.Has("--name")) overrides.push_back("name=" + flags.Value("--name"));
  if (!overrides.empty()) {
    ASSIGN_OR_RETURN(spec_text, api::ApplySetOverrides(spec_text, overrides));
  }

  ASSIGN_OR_RETURN(JobTarget target, Target(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(std::string digest, UploadCode(context, *api, spec_text, spec_file));
  std::string path = JobsPath(target);
  if (!digest.empty()) path += "?codeSnapshot=" + http::PercentEncode(digest);
  ASSIGN_OR_RETURN(nlohmann::json job, api->PostBody(path, spec_text, "application/yaml"));
  context.Print(job, [&] { return RenderJob(job); });

  if (!flags.Has("--stream")) return absl::OkStatus();
  return StreamJob(context, *api, JobPath(target.group, target.workspace, FieldText(job, "name")));
}

absl::Status ListJobs(CommandContext& context) {
  ASSIGN_OR_RETURN(JobTarget target, Target(context));
  std::optional<int64_t> max_results;
  if (auto text = context.flags().Optional("--max-results")) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(*text, &value) || value <= 0) {
      return UsageError(fmt::format(
          "invalid value '{}' for --max-results (-r); expected a positive whole number", *text));
    }
    max_results = value;
  }
  std::string path = JobsPath(target);
  if (auto status = context.flags().Optional("--status")) {
    path += "?status=" + http::PercentEncode(*status);
  }

  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json jobs, api->ListAll(path, max_results));
  context.Print(jobs, [&] { return RenderJobList(jobs); });
  return absl::OkStatus();
}

absl::Status ShowJob(CommandContext& context) {
  ASSIGN_OR_RETURN(JobTarget target, Target(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  std::string path = JobPath(target.group, target.workspace, context.flags().Value("--name"));
  ASSIGN_OR_RETURN(nlohmann::json job, api->Get(path));
  if (context.output() != OutputFormat::kTable) {
    context.Print(job, [] { return std::string(); });
    return absl::OkStatus();
  }

  // The table adds the metric summaries; JSON and YAML stay the job resource
  // as the server returns it.
  std::string text = RenderJobDetails(job);
  absl::StatusOr<nlohmann::json> metrics = api->ListAll(path + "/metrics");
  if (metrics.ok()) {
    text += RenderMetrics(*metrics);
  } else {
    text += fmt::format("\nmetrics: unavailable: {}\n", std::string(metrics.status().message()));
  }
  context.out() << text;
  return absl::OkStatus();
}

absl::Status CancelJob(CommandContext& context) {
  ASSIGN_OR_RETURN(JobTarget target, Target(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  std::string path = JobPath(target.group, target.workspace, context.flags().Value("--name"));
  ASSIGN_OR_RETURN(nlohmann::json job, api->Post(path + "/cancel", nlohmann::json::object()));
  context.Print(job, [&] { return RenderJob(job); });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> JobCommands() {
  FlagSpec name = NameFlag("name of the job");
  return {
      {.path = {"ml", "job", "create"},
       .summary = "Submits a command job from a YAML file, uploading its code folder.",
       .flags = {{.name = "--file",
                  .aliases = {"-f"},
                  .required = true,
                  .value_name = "FILE",
                  .help = "job YAML; `code:` is relative to the file's folder"},
                 {.name = "--set",
                  .kind = FlagKind::kList,
                  .key_values = true,
                  .value_name = "PATH=VALUE",
                  .help = "override a field of the YAML, such as resources.instance_count=2"},
                 {.name = "--name",
                  .aliases = {"-n"},
                  .value_name = "NAME",
                  .help = "name of the job; the server picks one when omitted"},
                 {.name = "--stream",
                  .kind = FlagKind::kSwitch,
                  .help = "follow the logs until the job ends; exit 0 only if it Completed"},
                 WorkspaceFlag(), ResourceGroupFlag()},
       .run = CreateJob},
      {.path = {"ml", "job", "list"},
       .summary = "Lists the jobs of a workspace, newest first.",
       .flags = {{.name = "--status",
                  .value_name = "STATUS",
                  .help = "only jobs in this status, such as Running or Failed"},
                 {.name = "--max-results",
                  .aliases = {"-r"},
                  .value_name = "N",
                  .help = "list at most N jobs; all by default"},
                 WorkspaceFlag(), ResourceGroupFlag()},
       .run = ListJobs},
      {.path = {"ml", "job", "show"},
       .summary = "Shows a job: status, history, nodes, error and metrics.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag()},
       .run = ShowJob},
      {.path = {"ml", "job", "cancel"},
       .summary = "Cancels a job; canceling a finished job changes nothing.",
       .flags = {name, WorkspaceFlag(), ResourceGroupFlag()},
       .run = CancelJob},
  };
}

}  // namespace ty::cli
