#include "cli/job_logs.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

// Seconds the server keeps a log request open while waiting for new lines.
constexpr int kLongPollSeconds = 30;
// A follow survives this many failed requests in a row, such as during a
// server restart, before it gives up.
constexpr int kMaxRetries = 10;
constexpr std::chrono::seconds kRetryDelay{2};

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

int64_t IntegerAt(const nlohmann::json& value, const char* key, int64_t fallback) {
  if (!value.is_object() || !value.contains(key) || !value[key].is_number_integer()) {
    return fallback;
  }
  return value[key].get<int64_t>();
}

// Whether the job runs more than one process, so that log lines need the
// node and rank to distinguish them.
bool HasSeveralProcesses(const nlohmann::json& job) {
  if (!job.contains("properties") || !job["properties"].is_object()) return false;
  const nlohmann::json& properties = job["properties"];
  if (properties.contains("nodes") && properties["nodes"].is_array() &&
      properties["nodes"].size() > 1) {
    return true;
  }
  if (!properties.contains("spec") || !properties["spec"].is_object()) return false;
  const nlohmann::json& spec = properties["spec"];
  int64_t instances = spec.contains("resources") ? IntegerAt(spec["resources"], "instance_count", 1) : 1;
  int64_t processes =
      spec.contains("distribution") ? IntegerAt(spec["distribution"], "process_count_per_instance", 1) : 1;
  return instances * processes > 1;
}

void PrintLine(CommandContext& context, const nlohmann::json& line, bool prefix) {
  if (context.output() == OutputFormat::kJson) {
    context.out() << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  if (context.output() == OutputFormat::kNone) return;
  std::string text = FieldText(line, "text");
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (prefix) {
    context.out() << fmt::format("[{}/{}] ", FieldText(line, "node"), FieldText(line, "rank"));
  }
  context.out() << text << "\n";
}

}  // namespace

std::string JobPath(std::string_view group, std::string_view workspace, std::string_view name) {
  return ApiPath({"resourceGroups", group, "workspaces", workspace, "jobs", name});
}

absl::Status PrintLogs(CommandContext& context, ApiClient& api, const std::string& job_path,
                       const LogOptions& options) {
  ASSIGN_OR_RETURN(nlohmann::json job, api.Get(job_path));
  bool prefix = !options.rank && HasSeveralProcesses(job);

  int64_t after = 0;
  int failures = 0;
  while (true) {
    std::string target = fmt::format("{}/logs?after={}&wait={}", job_path, after,
                                     options.follow ? kLongPollSeconds : 0);
    if (options.rank) target += "&rank=" + http::PercentEncode(*options.rank);
    absl::StatusOr<nlohmann::json> page = api.Get(target);
    if (!page.ok()) {
      if (!options.follow || !IsTransient(page.status()) || ++failures > kMaxRetries) {
        return page.status();
      }
      context.err() << fmt::format("warning: {}; retrying in {} s ({} of {})\n",
                                   std::string(page.status().message()), kRetryDelay.count(), failures,
                                   kMaxRetries);
      std::this_thread::sleep_for(kRetryDelay);
      continue;
    }
    failures = 0;

    const nlohmann::json& lines = (*page)["lines"];
    if (lines.is_array()) {
      for (const nlohmann::json& line : lines) PrintLine(context, line, prefix);
    }
    context.out().flush();
    int64_t next = IntegerAt(*page, "nextSeq", after);
    bool complete = page->value("complete", false);
    bool no_progress = next == after || !lines.is_array() || lines.empty();
    after = next;
    if (options.follow ? complete : no_progress) break;
  }
  return absl::OkStatus();
}

absl::Status StreamJob(CommandContext& context, ApiClient& api, const std::string& job_path) {
  RETURN_IF_ERROR(PrintLogs(context, api, job_path, {.follow = true}));
  ASSIGN_OR_RETURN(nlohmann::json job, api.Get(job_path));
  std::string name = FieldText(job, "name");
  std::string status = FieldText(job, "properties.status");
  if (context.output() == OutputFormat::kTable) {
    context.out() << fmt::format("job '{}' finished with status {}\n", name, status);
  }
  if (status == "Completed") return absl::OkStatus();

  std::string message = fmt::format("job '{}' ended with status {}", name, status);
  std::string error = FieldText(job, "properties.error.message");
  if (error.empty()) error = FieldText(job, "properties.error");
  if (!error.empty()) message += ": " + error;
  return absl::AbortedError(message);
}

}  // namespace ty::cli
