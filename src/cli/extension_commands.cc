// trainyard k8s-extension create|show|list|update|delete

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/extension_view.h"
#include "cli/files.h"
#include "common/status_macros.h"

namespace ty::cli {
namespace {

constexpr std::string_view kPublicSettingsFlag = "--configuration-settings";
constexpr std::string_view kProtectedSettingsFlag = "--configuration-protected-settings";

std::string ExtensionsPath(const std::string& group, const std::string& cluster) {
  return ApiPath({"resourceGroups", group, "connectedClusters", cluster, "extensions"});
}

std::string ExtensionPath(const std::string& group, const std::string& cluster,
                          const std::string& name) {
  return ApiPath({"resourceGroups", group, "connectedClusters", cluster, "extensions", name});
}

// Reads a settings file: a JSON object of key to value, as the Azure CLI's
// --configuration-settings-file takes.
absl::StatusOr<nlohmann::json> ReadSettingsFile(std::string_view flag, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json settings = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!settings.is_object()) {
    return absl::InvalidArgumentError(fmt::format(
        "{} '{}' is not a JSON object; write the settings as {{\"key\": \"value\", ...}}", flag,
        path));
  }
  return settings;
}

// Collects one group of settings from its file flag and its key=value flag;
// a key=value on the command line overrides the same key from the file.
// Returns null when neither flag was given.
absl::StatusOr<nlohmann::json> CollectSettings(const ParsedFlags& flags, std::string_view flag,
                                               std::string_view file_flag) {
  nlohmann::json settings;
  if (auto file = flags.Optional(file_flag)) {
    ASSIGN_OR_RETURN(settings, ReadSettingsFile(file_flag, *file));
  }
  if (flags.Has(flag)) {
    ASSIGN_OR_RETURN(auto pairs, ParseKeyValues(flag, flags.Values(flag)));
    if (settings.is_null()) settings = nlohmann::json::object();
    for (auto& [key, value] : pairs) settings[key] = value;
  }
  return settings;
}

struct ExtensionTarget {
  std::string group;
  std::string cluster;
  std::string name;
};

absl::StatusOr<ExtensionTarget> Target(CommandContext& context) {
  ExtensionTarget target;
  ASSIGN_OR_RETURN(target.group, context.ResourceGroup());
  target.cluster = context.flags().Value("--cluster-name");
  target.name = context.flags().Value("--name");
  return target;
}

absl::Status CreateExtension(CommandContext& context) {
  ASSIGN_OR_RETURN(ExtensionTarget target, Target(context));
  const ParsedFlags& flags = context.flags();
  nlohmann::json body = {{"name", target.name},
                         {"extensionType", flags.Value("--extension-type")}};
  if (flags.Has("--scope")) body["scope"] = flags.Value("--scope");
  ASSIGN_OR_RETURN(nlohmann::json settings,
                   CollectSettings(flags, kPublicSettingsFlag, "--configuration-settings-file"));
  ASSIGN_OR_RETURN(nlohmann::json secrets,
                   CollectSettings(flags, kProtectedSettingsFlag,
                                   "--configuration-protected-settings-file"));
  if (!settings.is_null()) body["configurationSettings"] = settings;
  if (!secrets.is_null()) body["configurationProtectedSettings"] = secrets;

  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json extension,
                   api->Post(ExtensionsPath(target.group, target.cluster), body));
  context.Print(extension, [&] { return RenderExtension(extension); });
  return absl::OkStatus();
}

absl::Status ShowExtension(CommandContext& context) {
  ASSIGN_OR_RETURN(ExtensionTarget target, Target(context));
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json extension,
                   api->Get(ExtensionPath(target.group, target.cluster, target.name)));
  context.Print(extension, [&] { return RenderExtension(extension); });
  return absl::OkStatus();
}

absl::Status ListExtensions(CommandContext& context) {
  ASSIGN_OR_RETURN(std::string group, context.ResourceGroup());
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  ASSIGN_OR_RETURN(nlohmann::json extensions,
                   api->ListAll(ExtensionsPath(group, context.flags().Value("--cluster-name"))));
  context.Print(extensions, [&] { return RenderExtensionList(extensions); });
  return absl::OkStatus();
}

absl::Status UpdateExtension(CommandContext& context) {
  ASSIGN_OR_RETURN(ExtensionTarget target, Target(context));
  const ParsedFlags& flags = context.flags();
  ASSIGN_OR_RETURN(nlohmann::json settings,
                   CollectSettings(flags, kPublicSettingsFlag, "--configuration-settings-file"));
  ASSIGN_OR_RETURN(nlohmann::json secrets,
                   CollectSettings(flags, kProtectedSettingsFlag,
                                   "--configuration-protected-settings-file"));
  if (settings.is_null() && secrets.is_null()) {
    return UsageError(
        "nothing to update; pass --configuration-settings or --configuration-protected-settings");
  }

  // The update carries the version it read, so a concurrent change makes the
  // server reject it (412) instead of one update silently overwriting another.
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  std::string path = ExtensionPath(target.group, target.cluster, target.name);
  ASSIGN_OR_RETURN(nlohmann::json current, api->Get(path));
  nlohmann::json body = {{"version", current.value("version", nlohmann::json())}};
  if (!settings.is_null()) body["configurationSettings"] = settings;
  if (!secrets.is_null()) body["configurationProtectedSettings"] = secrets;
  ASSIGN_OR_RETURN(nlohmann::json extension, api->Patch(path, body));
  context.Print(extension, [&] { return RenderExtension(extension); });
  return absl::OkStatus();
}

absl::Status DeleteExtension(CommandContext& context) {
  ASSIGN_OR_RETURN(ExtensionTarget target, Target(context));
  bool delete_created = context.flags().Has("--delete-created-resources");
  ASSIGN_OR_RETURN(ApiClient * api, context.Api());
  RETURN_IF_ERROR(context.Confirm(fmt::format(
      "delete extension '{}' from cluster '{}'{}", target.name, target.cluster,
      delete_created ? " together with the resources it created" : "")));

  std::string path = ExtensionPath(target.group, target.cluster, target.name);
  if (delete_created) path += "?deleteCreatedResources=true";
  ASSIGN_OR_RETURN(nlohmann::json result, api->Delete(path));
  context.Print(result, [&] { return RenderExtensionDeletion(target.name, result); });
  return absl::OkStatus();
}

std::vector<FlagSpec> TargetFlags(bool with_name) {
  std::vector<FlagSpec> flags = {
      {.name = "--cluster-type",
       .aliases = {"-t"},
       .required = true,
       .choices = {"connectedClusters"},
       .value_name = "TYPE",
       .help = "type of the cluster; Trainyard has connectedClusters only"},
      {.name = "--cluster-name",
       .aliases = {"-c"},
       .required = true,
       .value_name = "CLUSTER",
       .help = "name of the connected cluster"},
      ResourceGroupFlag(),
  };
  if (with_name) flags.push_back(NameFlag("name of the extension"));
  return flags;
}

std::vector<FlagSpec> SettingsFlags() {
  return {
      {.name = std::string(kPublicSettingsFlag),
       .aliases = {"--config"},
       .kind = FlagKind::kList,
       .key_values = true,
       .value_name = "KEY=VALUE",
       .help = "configuration settings, such as enableTraining=True; every token up to the next "
               "flag"},
      {.name = std::string(kProtectedSettingsFlag),
       .aliases = {"--config-protected"},
       .kind = FlagKind::kList,
       .key_values = true,
       .value_name = "KEY=VALUE",
       .help = "secret settings (relayConnectionString, serviceBusConnectionString); stored but "
               "never shown"},
      {.name = "--configuration-settings-file",
       .aliases = {"--config-settings-file"},
       .value_name = "FILE",
       .help = "JSON object of configuration settings; key=value flags override it"},
      {.name = "--configuration-protected-settings-file",
       .aliases = {"--config-protected-file"},
       .value_name = "FILE",
       .help = "JSON object of protected settings; key=value flags override it"},
  };
}

std::vector<FlagSpec> Concat(std::vector<FlagSpec> first, const std::vector<FlagSpec>& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

}  // namespace

std::vector<CommandSpec> ExtensionCommands() {
  std::vector<FlagSpec> create_flags = Concat(TargetFlags(true), SettingsFlags());
  create_flags.push_back({.name = "--extension-type",
                          .required = true,
                          .value_name = "TYPE",
                          .help = "Trainyard.MachineLearning (Microsoft.AzureML.Kubernetes is "
                                  "accepted too)"});
  create_flags.push_back({.name = "--scope",
                          .value_name = "SCOPE",
                          .help = "installation scope; cluster (the default) is supported"});
  std::vector<FlagSpec> delete_flags = TargetFlags(true);
  delete_flags.push_back(YesFlag());
  delete_flags.push_back({.name = "--delete-created-resources",
                          .kind = FlagKind::kSwitch,
                          .help = "also delete the relay endpoint and message queue that "
                                  "creating the extension provisioned"});

  return {
      {.path = {"k8s-extension", "create"},
       .summary = "Installs an extension on a connected cluster.",
       .flags = create_flags,
       .run = CreateExtension},
      {.path = {"k8s-extension", "show"},
       .summary = "Shows an extension: install state, components, resources and settings.",
       .flags = TargetFlags(true),
       .run = ShowExtension},
      {.path = {"k8s-extension", "list"},
       .summary = "Lists the extensions of a connected cluster.",
       .flags = TargetFlags(false),
       .run = ListExtensions},
      {.path = {"k8s-extension", "update"},
       .summary = "Changes settings of an extension; the given keys replace their old values.",
       .flags = Concat(TargetFlags(true), SettingsFlags()),
       .run = UpdateExtension},
      {.path = {"k8s-extension", "delete"},
       .summary = "Deletes an extension and lists the provisioned resources that remain.",
       .flags = delete_flags,
       .run = DeleteExtension},
  };
}

}  // namespace ty::cli
