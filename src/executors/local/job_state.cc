#include "executors/local/job_state.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ty::executors::local {
namespace {

using nlohmann::json;

constexpr const char* kStopKindNames[] = {"", "cancel", "timeout", "rank_failure"};

void PutOptional(json& document, const char* key, const std::optional<int>& value) {
  if (value) document[key] = *value;
}

std::optional<int> GetOptional(const json& document, const char* key) {
  if (!document.contains(key) || document[key].is_null()) return std::nullopt;
  return document[key].get<int>();
}

json EncodeSpec(const agent::LaunchSpec& spec) {
  json inputs = json::object();
  for (const auto& [name, binding] : spec.inputs) {
    inputs[name] = {{"type", binding.type}, {"value", binding.value}, {"mode", binding.mode}};
  }
  const agent::ResourceRequest& resources = spec.resources;
  return {{"job_id", spec.job_id},
          {"command", spec.command},
          {"inputs", inputs},
          {"outputs", spec.outputs},
          {"environment", spec.environment},
          {"code_archive", spec.code_archive},
          {"environment_name", spec.environment_name},
          {"instance_count", spec.instance_count},
          {"processes_per_instance", spec.processes_per_instance},
          {"distribution", spec.distribution},
          {"parameter_server_count", spec.parameter_server_count},
          {"resources",
           {{"cpus", resources.cpus},
            {"memory_bytes", resources.memory_bytes},
            {"gpus", resources.gpus},
            {"node_selector", resources.node_selector}}},
          {"timeout_s", spec.timeout.count()}};
}

agent::LaunchSpec DecodeSpec(const json& document) {
  agent::LaunchSpec spec;
  spec.job_id = document.at("job_id").get<std::string>();
  spec.command = document.at("command").get<std::string>();
  for (const auto& [name, binding] : document.at("inputs").items()) {
    spec.inputs[name] = {binding.at("type").get<std::string>(),
                         binding.at("value").get<std::string>(),
                         binding.at("mode").get<std::string>()};
  }
  spec.outputs = document.at("outputs").get<std::vector<std::string>>();
  spec.environment = document.at("environment").get<std::map<std::string, std::string>>();
  spec.code_archive = document.at("code_archive").get<std::string>();
  spec.environment_name = document.at("environment_name").get<std::string>();
  spec.instance_count = document.at("instance_count").get<int>();
  spec.processes_per_instance = document.at("processes_per_instance").get<int>();
  spec.distribution = document.at("distribution").get<std::string>();
  spec.parameter_server_count = document.at("parameter_server_count").get<int>();
  const json& resources = document.at("resources");
  spec.resources.cpus = resources.at("cpus").get<double>();
  spec.resources.memory_bytes = resources.at("memory_bytes").get<int64_t>();
  spec.resources.gpus = resources.at("gpus").get<int>();
  spec.resources.node_selector =
      resources.at("node_selector").get<std::map<std::string, std::string>>();
  spec.timeout = std::chrono::seconds(document.at("timeout_s").get<int64_t>());
  return spec;
}

}  // namespace

bool IsTerminalStatus(const std::string& status) {
  return status == "Completed" || status == "Failed" || status == "Canceled";
}

std::string EncodeJobRecord(const JobRecord& record) {
  json ranks = json::array();
  for (const RankRecord& rank : record.ranks) {
    json entry = {{"rank", rank.rank},
                  {"node_rank", rank.node_rank},
                  {"local_rank", rank.local_rank},
                  {"status", rank.status},
                  {"message", rank.message}};
    PutOptional(entry, "exit_code", rank.exit_code);
    PutOptional(entry, "signal", rank.signal);
    ranks.push_back(entry);
  }
  json document = {{"spec", EncodeSpec(record.spec)},
                   {"status", record.status},
                   {"queued_ms", record.queued_ms},
                   {"started_ms", record.started_ms},
                   {"stop_kind", kStopKindNames[static_cast<int>(record.stop_kind)]},
                   {"stop_reason", record.stop_reason},
                   {"stop_requested_ms", record.stop_requested_ms},
                   {"reservation",
                    {{"cpus", record.reservation.cpus},
                     {"memory_bytes", record.reservation.memory_bytes},
                     {"gpus_per_node", record.reservation.gpus_per_node}}},
                   {"ranks", ranks},
                   {"outcome_status", record.outcome_status},
                   {"message", record.message}};
  PutOptional(document, "exit_code", record.exit_code);
  PutOptional(document, "signal", record.signal);
  return document.dump(2, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<JobRecord> DecodeJobRecord(const std::string& text) {
  try {
    json document = json::parse(text);
    JobRecord record;
    record.spec = DecodeSpec(document.at("spec"));
    record.status = document.at("status").get<std::string>();
    record.queued_ms = document.at("queued_ms").get<int64_t>();
    record.started_ms = document.at("started_ms").get<int64_t>();
    std::string stop_kind = document.at("stop_kind").get<std::string>();
    for (int kind = 0; kind < 4; ++kind) {
      if (stop_kind == kStopKindNames[kind]) record.stop_kind = static_cast<StopKind>(kind);
    }
    record.stop_reason = document.at("stop_reason").get<std::string>();
    record.stop_requested_ms = document.at("stop_requested_ms").get<int64_t>();
    const json& reservation = document.at("reservation");
    record.reservation.cpus = reservation.at("cpus").get<double>();
    record.reservation.memory_bytes = reservation.at("memory_bytes").get<int64_t>();
    record.reservation.gpus_per_node =
        reservation.at("gpus_per_node").get<std::vector<std::vector<int>>>();
    for (const json& entry : document.at("ranks")) {
      RankRecord rank;
      rank.rank = entry.at("rank").get<int>();
      rank.node_rank = entry.at("node_rank").get<int>();
      rank.local_rank = entry.at("local_rank").get<int>();
      rank.shim_pid = entry.value("shim_pid", 0);
      rank.status = entry.at("status").get<std::string>();
      rank.message = entry.at("message").get<std::string>();
      rank.exit_code = GetOptional(entry, "exit_code");
      rank.signal = GetOptional(entry, "signal");
      record.ranks.push_back(std::move(rank));
    }
    record.outcome_status = document.at("outcome_status").get<std::string>();
    record.message = document.at("message").get<std::string>();
    record.exit_code = GetOptional(document, "exit_code");
    record.signal = GetOptional(document, "signal");
    return record;
  } catch (const json::exception& error) {
    return absl::DataLossError(fmt::format("invalid job record: {}", error.what()));
  }
}

}  // namespace ty::executors::local
