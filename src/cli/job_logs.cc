#include "cli/job_logs.h"

#include <charconv>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/distribution_env.h"
#include "api/job_spec.h"
#include "cli/api_client.h"
#include "common/errors.h"
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

// Returns how many processes the job runs, from its stored spec; 1 when the
// spec is missing or no longer parses.
int64_t ProcessCount(const nlohmann::json& job) {
  if (!job.contains("properties") || !job["properties"].is_object()) return 1;
  const nlohmann::json& properties = job["properties"];
  if (!properties.contains("spec") || !properties["spec"].is_object()) return 1;
  absl::StatusOr<api::JobSpec> spec = api::ParseJobSpec(properties["spec"].dump());
  if (!spec.ok()) return 1;
  absl::StatusOr<api::ProcessLayout> layout = api::LayoutOfJob(*spec);
  return layout.ok() ? layout->WorldSize() : 1;
}

// Checks --rank against the job's ranks, so that a typo is an error rather
// than an empty log.
absl::Status CheckRank(const std::string& rank, int64_t process_count) {
  int64_t value = -1;
  auto [end, error] = std::from_chars(rank.data(), rank.data() + rank.size(), value);
  if (error != std::errc() || end != rank.data() + rank.size() || value < 0) {
    return InvalidField("rank", fmt::format("invalid --rank '{}': use a whole number from 0 to {}",
                                            rank, process_count - 1));
  }
  if (value >= process_count) {
    return InvalidField("rank", fmt::format("--rank {} is out of range: the job runs {} "
                                            "processes, ranks 0 to {}",
                                            value, process_count, process_count - 1));
  }
  return absl::OkStatus();
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
  int64_t process_count = ProcessCount(job);
  if (options.rank) RETURN_IF_ERROR(CheckRank(*options.rank, process_count));
  bool prefix = !options.rank && process_count > 1;

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
