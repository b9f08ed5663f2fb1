// trainyard ml compute instance-type create|list|show|delete

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/table.h"
#include "cli/yaml_json.h"
#include "common/http/message.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

constexpr std::string_view kGpuKey = "nvidia.com/gpu";

// The flags that set one resource quantity: flag, requests or limits, key.
struct QuantityFlag {
  const char* flag;
  const char* list;
  std::string_view key;
  const char* help;
};

constexpr QuantityFlag kQuantityFlags[] = {
    {"--cpu-request", "requests", "cpu", "CPU request in cores or millicores: 4, 500m"},
    {"--cpu-limit", "limits", "cpu", "CPU limit in cores or millicores"},
    {"--memory-request", "requests", "memory", "memory request as a quantity: 16Gi, 512Mi"},
    {"--memory-limit", "limits", "memory", "memory limit as a quantity"},
    {"--gpu-request", "requests", kGpuKey, "number of NVIDIA GPUs requested"},
    {"--gpu-limit", "limits", kGpuKey, "number of NVIDIA GPUs at most"},
};

absl::StatusOr<std::string> InstanceTypesPath(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(std::string workspace, context.Workspace());
  return ApiPath({"resourceGroups", group, "workspaces", workspace, "computes",
                  context.flags().Value("--compute"), "instanceTypes"});
}

// Converts the Kubernetes custom resource of the cloud product
// (kind: InstanceType, metadata.name, spec.nodeSelector, spec.tolerations,
// spec.resources) to the REST shape, so that existing instance type files
// work unchanged.
nlohmann::json FromCustomResource(const nlohmann::json& resource) {
  if (resource.value("kind", "") != "InstanceType" || !resource.contains("spec")) return resource;
  nlohmann::json body = nlohmann::json::object();
  if (resource.contains("metadata") && resource["metadata"].contains("name")) {
    body["name"] = resource["metadata"]["name"];
  }
  for (const char* key : {"nodeSelector", "tolerations", "resources"}) {
    if (resource["spec"].contains(key)) body[key] = resource["spec"][key];
  }
  return body;
}

// Checks that the fields the flags write into are mappings or absent, so
// that writing into them cannot fail.
absl::Status CheckMappings(const nlohmann::json& body, const std::string& file) {
  auto not_mapping = [](const nlohmann::json& parent, const char* key) {
    return parent.contains(key) && !parent[key].is_null() && !parent[key].is_object();
  };
  std::string field;
  if (not_mapping(body, "nodeSelector")) field = "nodeSelector";
  if (not_mapping(body, "resources")) field = "resources";
  if (field.empty() && body.contains("resources") && body["resources"].is_object()) {
    for (const char* list : {"requests", "limits"}) {
      if (not_mapping(body["resources"], list)) field = fmt::format("resources.{}", list);
    }
  }
  if (field.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      fmt::format("{}: '{}' must be a mapping of key: value", file, field));
}

absl::StatusOr<nlohmann::json> InstanceTypeBody(const ParsedFlags& flags) {
  nlohmann::json body = nlohmann::json::object();
  if (auto file = flags.Optional("--file")) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(*file));
    ASSIGN_OR_RETURN(nlohmann::json parsed, ParseYaml(text, *file));
    if (!parsed.is_object()) {
      return absl::InvalidArgumentError(fmt::format(
          "'{}' must describe one instance type as a mapping with name, nodeSelector and "
          "resources",
          *file));
    }
    body = FromCustomResource(parsed);
    RETURN_IF_ERROR(CheckMappings(body, *file));
  }
  if (flags.Has("--name")) body["name"] = flags.Value("--name");
  if (!body.contains("name")) {
    return UsageError("missing required flag --name (-n); name the instance type");
  }

  for (const QuantityFlag& quantity : kQuantityFlags) {
    if (!flags.Has(quantity.flag)) continue;
    std::string value = flags.Value(quantity.flag);
    // GPU counts are integers in the REST shape; anything else goes to the
    // server as written, which rejects it naming the field.
    int64_t count = 0;
    nlohmann::json& slot = body["resources"][quantity.list][std::string(quantity.key)];
    if (quantity.key == kGpuKey && absl::SimpleAtoi(value, &count)) {
      slot = count;
    } else {
      slot = value;
    }
  }
  if (flags.Has("--node-selector")) {
    ASSIGN_OR_RETURN(auto pairs, ParseKeyValues("--node-selector", flags.Values("--node-selector")));
    for (auto& [key, value] : pairs) body["nodeSelector"][key] = value;
  }
  return body;
}

std::string Quantity(const nlohmann::json& instance_type, const char* list, std::string_view key) {
  if (!instance_type.contains("resources")) return "";
  const nlohmann::json& resources = instance_type["resources"];
  if (!resources.contains(list) || !resources[list].is_object()) return "";
  auto it = resources[list].find(key);
  return it == resources[list].end() ? "" : ScalarText(*it);
}

// Renders "request/limit", or one of them when the other is unset.
std::string RequestAndLimit(const nlohmann::json& instance_type, std::string_view key) {
  std::string request = Quantity(instance_type, "requests", key);
  std::string limit = Quantity(instance_type, "limits", key);
  if (request.empty() || limit.empty()) return request.empty() ? limit : request;
  return request + "/" + limit;
}

std::string RenderInstanceTypes(const nlohmann::json& instance_types) {
  Table table({"Name", "CPU", "Memory", "GPUs", "NodeSelector"});
  for (const nlohmann::json& resource : instance_types) {
    // Resources carry the instance type under "properties"; the create body
    // has it at the top level.
    const nlohmann::json& instance_type =
        resource.contains("properties") && resource["properties"].is_object()
            ? resource["properties"]
            : resource;
    std::vector<std::string> selector;
    if (instance_type.contains("nodeSelector") && instance_type["nodeSelector"].is_object()) {
      for (const auto& [key, value] : instance_type["nodeSelector"].items()) {
        selector.push_back(key + "=" + ScalarText(value));
      }
    }
    table.AddRow({FieldText(resource, "name"), RequestAndLimit(instance_type, "cpu"),
                  RequestAndLimit(instance_type, "memory"), RequestAndLimit(instance_type, kGpuKey),
                  absl::StrJoin(selector, ",")});
  }
  return table.Render() + "(request/limit)\n";
}

absl::Status CreateInstanceType(CommandContext& context) {
  ASSIGN_OR_RETURN(nlohmann::json body, InstanceTypeBody(context.flags()));
  ASSIGN_OR_RETURN(std::string path, InstanceTypesPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json created, api->Post(path, body));
  context.Print(created, [&] { return RenderInstanceTypes(nlohmann::json::array({created})); });
  return absl::OkStatus();
}

absl::Status ListInstanceTypes(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, InstanceTypesPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json instance_types, api->ListAll(path));
  context.Print(instance_types, [&] { return RenderInstanceTypes(instance_types); });
  return absl::OkStatus();
}

absl::Status ShowInstanceType(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, InstanceTypesPath(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json instance_type,
                   api->Get(path + "/" + http::PercentEncode(context.flags().Value("--name"))));
  context.Print(instance_type,
                [&] { return RenderInstanceTypes(nlohmann::json::array({instance_type})); });
  return absl::OkStatus();
}

absl::Status DeleteInstanceType(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string path, InstanceTypesPath(context));
  std::string name = context.flags().Value("--name");
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  RETURN_IF_ERROR(context.Confirm(fmt::format("delete instance type '{}' of compute '{}'", name,
                                              context.flags().Value("--compute"))));
  ASSIGN_OR_RETURN(nlohmann::json result, api->Delete(path + "/" + http::PercentEncode(name)));
  context.Print(result, [&] { return fmt::format("deleted instance type '{}'\n", name); });
  return absl::OkStatus();
}

std::vector<FlagSpec> TargetFlags() {
  return {WorkspaceFlag(), ResourceGroupFlag(),
          {.name = "--compute",
           .aliases = {"--compute-name"},
           .required = true,
           .value_name = "COMPUTE",
           .help = "name of the compute target"}};
}

}  // namespace

std::vector<CommandSpec> InstanceTypeCommands() {
  std::vector<FlagSpec> create_flags = TargetFlags();
  create_flags.push_back({.name = "--name",
                          .aliases = {"-n"},
                          .value_name = "NAME",
                          .help = "name of the instance type; required unless --file names it"});
  for (const QuantityFlag& quantity : kQuantityFlags) {
    create_flags.push_back({.name = quantity.flag, .value_name = "QUANTITY", .help = quantity.help});
  }
  create_flags.push_back({.name = "--node-selector",
                          .kind = FlagKind::kList,
                          .key_values = true,
                          .value_name = "KEY=VALUE",
                          .help = "node labels the job's pods must match"});
  create_flags.push_back({.name = "--file",
                          .aliases = {"-f"},
                          .value_name = "FILE",
                          .help = "YAML or JSON instance type (REST shape or the InstanceType "
                                  "custom resource); flags override its fields"});

  std::vector<FlagSpec> named_flags = TargetFlags();
  named_flags.push_back(NameFlag("name of the instance type"));
  std::vector<FlagSpec> delete_flags = named_flags;
  delete_flags.push_back(YesFlag());

  return {
      {.path = {"ml", "compute", "instance-type", "create"},
       .summary = "Creates an instance type: resource requests, limits and a node selector.",
       .flags = create_flags,
       .run = CreateInstanceType},
      {.path = {"ml", "compute", "instance-type", "list"},
       .summary = "Lists the instance types of a compute target.",
       .flags = TargetFlags(),
       .run = ListInstanceTypes},
      {.path = {"ml", "compute", "instance-type", "show"},
       .summary = "Shows an instance type.",
       .flags = named_flags,
       .run = ShowInstanceType},
      {.path = {"ml", "compute", "instance-type", "delete"},
       .summary = "Deletes an instance type.",
       .flags = delete_flags,
       .run = DeleteInstanceType},
  };
}

}  // namespace ty::cli
