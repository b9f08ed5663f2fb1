#include "cli/job_view.h"

#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "cli/table.h"

namespace ty::cli {
namespace {

const std::vector<Column>& SummaryColumns() {
  static const std::vector<Column> kColumns = {
      {"Name", "name"},
      {"DisplayName", "properties.displayName"},
      {"Status", "properties.status"},
      {"Compute", "properties.computeName"},
      {"Experiment", "properties.experimentName"},
      {"Created", "createdAt"},
  };
  return kColumns;
}

const nlohmann::json& Property(const nlohmann::json& job, const char* key) {
  static const nlohmann::json kNull;
  if (!job.contains("properties") || !job["properties"].is_object()) return kNull;
  const nlohmann::json& properties = job["properties"];
  return properties.contains(key) ? properties[key] : kNull;
}

// The job error is an object with a message (and maybe a code) or a string.
std::string ErrorText(const nlohmann::json& error) {
  if (error.is_object()) {
    std::string code = FieldText(error, "code");
    std::string message = FieldText(error, "message");
    if (code.empty()) return message.empty() ? ScalarText(error) : message;
    return code + ": " + message;
  }
  return ScalarText(error);
}

std::string RenderHistory(const nlohmann::json& history) {
  if (!history.is_array() || history.empty()) return "";
  // The ranks of a distributed job report their own transitions; a Rank
  // column separates them from the job's.
  bool has_ranks = false;
  for (const nlohmann::json& entry : history) has_ranks |= entry.contains("rank");
  if (!has_ranks) {
    Table table({"Status", "Time", "Message"});
    for (const nlohmann::json& entry : history) {
      table.AddRow({FieldText(entry, "status"), FieldText(entry, "time"), FieldText(entry, "message")});
    }
    return "\nhistory:\n" + table.Render();
  }
  Table table({"Status", "Rank", "Time", "Message"});
  for (const nlohmann::json& entry : history) {
    table.AddRow({FieldText(entry, "status"), FieldText(entry, "rank"), FieldText(entry, "time"),
                  FieldText(entry, "message")});
  }
  return "\nhistory:\n" + table.Render();
}

std::string RenderNodes(const nlohmann::json& nodes) {
  if (!nodes.is_array() || nodes.empty()) return "";
  Table table({"Node", "Rank", "Status", "ExitCode", "Signal"});
  for (const nlohmann::json& node : nodes) {
    table.AddRow({FieldText(node, "node"), FieldText(node, "rank"), FieldText(node, "status"),
                  FieldText(node, "exitCode"), FieldText(node, "signal")});
  }
  return "\nnodes:\n" + table.Render();
}

}  // namespace

std::string RenderJob(const nlohmann::json& job) { return RenderOne(job, SummaryColumns()); }

std::string RenderJobList(const nlohmann::json& jobs) { return RenderList(jobs, SummaryColumns()); }

std::string RenderJobDetails(const nlohmann::json& job) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const Column& column : SummaryColumns()) {
    fields.emplace_back(column.header, FieldText(job, column.path));
  }
  for (const Column& column : std::vector<Column>{{"StatusMessage", "properties.statusMessage"},
                                                  {"CodeSnapshot", "properties.codeSnapshot"},
                                                  {"Started", "properties.startedAt"},
                                                  {"Ended", "properties.endedAt"},
                                                  {"ExitCode", "properties.exitCode"},
                                                  {"Signal", "properties.signal"}}) {
    std::string value = FieldText(job, column.path);
    if (!value.empty()) fields.emplace_back(column.header, value);
  }
  const nlohmann::json& error = Property(job, "error");
  if (!error.is_null()) fields.emplace_back("Error", ErrorText(error));
  return RenderFields(fields) + RenderHistory(Property(job, "history")) +
         RenderNodes(Property(job, "nodes"));
}

std::string RenderMetrics(const nlohmann::json& summaries) {
  if (!summaries.is_array() || summaries.empty()) return "\nmetrics: none logged\n";
  Table table({"Metric", "Latest", "Step", "Min", "Max", "Count"});
  for (const nlohmann::json& summary : summaries) {
    table.AddRow({FieldText(summary, "name"), FieldText(summary, "latest.value"),
                  FieldText(summary, "latest.step"), FieldText(summary, "min"),
                  FieldText(summary, "max"), FieldText(summary, "count")});
  }
  return "\nmetrics:\n" + table.Render();
}

}  // namespace ty::cli
