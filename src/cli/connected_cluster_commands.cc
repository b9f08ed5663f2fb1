// trainyard connectedk8s connect|list|show|delete

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

const std::vector<Column>& ClusterColumns() {
  static const std::vector<Column> kColumns = {
      {"Name", "name"},
      {"ResourceGroup", "resourceGroup"},
      {"Location", "location"},
      {"Kind", "properties.kind"},
      {"Connectivity", "properties.connectivityStatus"},
      {"LastHeartbeat", "properties.lastHeartbeat"},
      {"AgentVersion", "properties.agentVersion"},
  };
  return kColumns;
}

std::string GibText(const nlohmann::json& bytes) {
  if (!bytes.is_number()) return "";
  return fmt::format("{:.1f}Gi", bytes.get<double>() / (1024.0 * 1024 * 1024));
}

// Renders the capacity the agent reported: one row per node.
std::string RenderCapacity(const nlohmann::json& cluster) {
  const nlohmann::json* nodes = nullptr;
  if (cluster.contains("properties") && cluster["properties"].contains("capacity")) {
    const nlohmann::json& capacity = cluster["properties"]["capacity"];
    if (capacity.is_object() && capacity.contains("nodes")) nodes = &capacity["nodes"];
  }
  if (nodes == nullptr || !nodes->is_array() || nodes->empty()) {
    return "\ncapacity: not reported yet; it appears once the agent connects\n";
  }

  Table table({"Node", "CPUs", "Memory", "GPUs"});
  for (const nlohmann::json& node : *nodes) {
    std::vector<std::string> gpus;
    if (node.contains("gpus") && node["gpus"].is_array()) {
      for (const nlohmann::json& gpu : node["gpus"]) {
        gpus.push_back(fmt::format("{}: {}", FieldText(gpu, "index"), FieldText(gpu, "model")));
      }
    }
    table.AddRow({FieldText(node, "name"), FieldText(node, "cpus"),
                  GibText(node.value("memoryBytes", nlohmann::json())),
                  gpus.empty() ? "none" : absl::StrJoin(gpus, ", ")});
  }
  return "\ncapacity:\n" + table.Render();
}

std::string ClusterPath(CommandContext& context, const std::string& group) {
  return ApiPath({"resourceGroups", group, "connectedClusters", context.flags().Value("--name")});
}

absl::Status Connect(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  nlohmann::json body = {{"name", context.flags().Value("--name")},
                         {"location", context.flags().Value("--location")},
                         {"kind", context.flags().Value("--kind", "kubernetes")}};
  ASSIGN_OR_RETURN(nlohmann::json cluster,
                   api->Post(ApiPath({"resourceGroups", group, "connectedClusters"}), body));

  std::string connection_string = FieldText(cluster, "connectionString");
  std::optional<std::string> file = context.flags().Optional("--connection-string-file");
  if (file) {
    // The cluster exists now and the server never shows the credential again,
    // so a failed write must say how to get a new one.
    absl::Status written = WriteFileAtomically(*file, connection_string + "\n", 0600);
    if (!written.ok()) {
      return absl::Status(
          written.code(),
          fmt::format("{}; the cluster was registered, but its connection string is shown only "
                      "once: delete the cluster with `trainyard connectedk8s delete` and connect "
                      "it again",
                      std::string(written.message())));
    }
    cluster.erase("connectionString");
    cluster["connectionStringFile"] = *file;
  }

  context.Print(cluster, [&] {
    std::string text = RenderOne(cluster, ClusterColumns());
    if (file) {
      return text + fmt::format(
                        "\nconnection string written to '{}' (mode 0600); start the agent with "
                        "`trainyard agent --connection-string-file {}`\n",
                        *file, *file);
    }
    return text + fmt::format(
                      "\nconnection string (shown only once; save it to a file readable only by "
                      "you and start the agent with `trainyard agent --connection-string-file "
                      "FILE`):\n{}\n",
                      connection_string);
  });
  return absl::OkStatus();
}

absl::Status ListClusters(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json clusters,
                   api->ListAll(ApiPath({"resourceGroups", group, "connectedClusters"})));
  context.Print(clusters, [&] { return RenderList(clusters, ClusterColumns()); });
  return absl::OkStatus();
}

absl::Status ShowCluster(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json cluster, api->Get(ClusterPath(context, group)));
  context.Print(cluster,
                [&] { return RenderOne(cluster, ClusterColumns()) + RenderCapacity(cluster); });
  return absl::OkStatus();
}

absl::Status DeleteCluster(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  std::string name = context.flags().Value("--name");
  RETURN_IF_ERROR(context.Confirm(
      fmt::format("delete connected cluster '{}' in resource group '{}'", name, group)));
  ASSIGN_OR_RETURN(nlohmann::json result, api->Delete(ClusterPath(context, group)));
  context.Print(result, [&] { return fmt::format("deleted connected cluster '{}'\n", name); });
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> ConnectedClusterCommands() {
  return {
      {.path = {"connectedk8s", "connect"},
       .summary = "Registers a cluster and prints the connection string its agent dials in with.",
       .flags = {NameFlag("name of the cluster"), ResourceGroupFlag(), LocationFlag(),
                 {.name = "--kind",
                  .choices = {"kubernetes", "local"},
                  .value_name = "KIND",
                  .help = "kubernetes (default) or local, a plain Linux machine"},
                 {.name = "--connection-string-file",
                  .value_name = "FILE",
                  .help = "write the connection string to FILE (mode 0600) instead of printing it"}},
       .run = Connect},
      {.path = {"connectedk8s", "list"},
       .summary = "Lists the connected clusters of a resource group.",
       .flags = {ResourceGroupFlag()},
       .run = ListClusters},
      {.path = {"connectedk8s", "show"},
       .summary = "Shows a connected cluster with its agent's state and capacity.",
       .flags = {NameFlag("name of the cluster"), ResourceGroupFlag()},
       .run = ShowCluster},
      {.path = {"connectedk8s", "delete"},
       .summary = "Deletes a connected cluster that no extension or compute uses.",
       .flags = {NameFlag("name of the cluster"), ResourceGroupFlag(), YesFlag()},
       .run = DeleteCluster},
  };
}

}  // namespace ty::cli
