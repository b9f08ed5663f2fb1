#include "server/job_json.h"

#include "common/time.h"

namespace ty::server {
namespace {

nlohmann::json OptionalTime(const std::optional<int64_t>& millis) {
  return millis ? nlohmann::json(FormatRfc3339(*millis)) : nlohmann::json(nullptr);
}

nlohmann::json OptionalInt(const std::optional<int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json JobJson(const store::JobRecord& job,
                       const std::vector<store::JobHistoryEntry>& history,
                       const std::vector<store::JobNode>& nodes) {
  nlohmann::json history_json = nlohmann::json::array();
  for (const store::JobHistoryEntry& entry : history) {
    nlohmann::json item = {{"status", api::JobStatusName(entry.status)},
                           {"time", FormatRfc3339(entry.time)},
                           {"message", entry.message}};
    if (entry.rank) item["rank"] = *entry.rank;
    history_json.push_back(std::move(item));
  }
  nlohmann::json nodes_json = nlohmann::json::array();
  for (const store::JobNode& node : nodes) {
    nodes_json.push_back({{"node", node.node},
                          {"rank", node.rank},
                          {"status", api::JobStatusName(node.status)},
                          {"exitCode", OptionalInt(node.exit_code)},
                          {"signal", OptionalInt(node.signal)}});
  }

  nlohmann::json properties = {{"spec", job.spec},
                               {"status", api::JobStatusName(job.status)},
                               {"statusMessage", job.status_message},
                               {"computeName", job.compute},
                               {"experimentName", job.experiment},
                               {"displayName", job.display_name},
                               {"codeSnapshot", job.code_snapshot},
                               {"createdAt", FormatRfc3339(job.created_at)},
                               {"startedAt", OptionalTime(job.started_at)},
                               {"endedAt", OptionalTime(job.ended_at)},
                               {"exitCode", OptionalInt(job.exit_code)},
                               {"signal", OptionalInt(job.signal)},
                               {"error", job.error},
                               {"history", std::move(history_json)},
                               {"nodes", std::move(nodes_json)}};
  return {{"id", job.id},
          {"name", job.name},
          {"type", store::kJobs},
          {"resourceGroup", job.resource_group},
          {"workspace", job.workspace},
          {"version", job.version},
          {"createdAt", FormatRfc3339(job.created_at)},
          {"updatedAt", FormatRfc3339(job.updated_at)},
          {"properties", std::move(properties)}};
}

}  // namespace ty::server
