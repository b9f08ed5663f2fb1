#include "cli/extension_view.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "cli/table.h"

namespace ty::cli {
namespace {

const nlohmann::json& Property(const nlohmann::json& extension, const char* key) {
  static const nlohmann::json kNull;
  if (!extension.contains("properties") || !extension["properties"].is_object()) return kNull;
  const nlohmann::json& properties = extension["properties"];
  return properties.contains(key) ? properties[key] : kNull;
}

std::string RenderComponents(const nlohmann::json& statuses) {
  if (!statuses.is_array() || statuses.empty()) return "\ncomponents: none reported yet\n";
  Table table({"Component", "State", "Message"});
  for (const nlohmann::json& status : statuses) {
    table.AddRow({FieldText(status, "component"), FieldText(status, "state"),
                  FieldText(status, "message")});
  }
  return "\ncomponents:\n" + table.Render();
}

std::string RenderResources(const nlohmann::json& resources) {
  if (!resources.is_array() || resources.empty()) return "\nprovisioned resources: none\n";
  Table table({"Id", "Type", "Created"});
  for (const nlohmann::json& resource : resources) {
    bool created = resource.value("created", false);
    table.AddRow({FieldText(resource, "id"), FieldText(resource, "type"),
                  created ? "yes" : "no (existing, from a connection string)"});
  }
  return "\nprovisioned resources:\n" + table.Render();
}

std::string RenderSettings(const nlohmann::json& settings) {
  if (!settings.is_object() || settings.empty()) return "\nconfiguration settings: none\n";
  Table table({"Key", "Value"});
  for (const auto& [key, value] : settings.items()) table.AddRow({key, ScalarText(value)});
  return "\nconfiguration settings:\n" + table.Render();
}

// Protected settings come back as a list of keys; an object (from an older
// server) is shown by its keys too, so a value can never reach the terminal.
std::string RenderProtectedKeys(const nlohmann::json& protected_settings) {
  std::vector<std::string> keys;
  if (protected_settings.is_array()) {
    for (const nlohmann::json& key : protected_settings) keys.push_back(ScalarText(key));
  } else if (protected_settings.is_object()) {
    for (const auto& [key, value] : protected_settings.items()) keys.push_back(key);
  }
  if (keys.empty()) return "\nprotected settings: none\n";
  std::string text = "\nprotected settings (values are never shown):\n";
  for (const std::string& key : keys) text += "  " + key + "\n";
  return text;
}

std::string RenderIds(const nlohmann::json& ids) {
  std::string text;
  for (const nlohmann::json& id : ids) text += "  " + ScalarText(id) + "\n";
  return text;
}

}  // namespace

std::string RenderExtension(const nlohmann::json& extension) {
  std::string text = RenderOne(extension, {{"Name", "name"},
                                           {"ResourceGroup", "resourceGroup"},
                                           {"ExtensionType", "properties.extensionType"},
                                           {"Scope", "properties.scope"},
                                           {"InstallState", "properties.installState"},
                                           {"Version", "version"},
                                           {"Id", "id"}});
  text += RenderComponents(Property(extension, "statuses"));
  text += RenderResources(Property(extension, "provisionedResources"));
  text += RenderSettings(Property(extension, "configurationSettings"));
  text += RenderProtectedKeys(Property(extension, "configurationProtectedSettings"));
  return text;
}

std::string RenderExtensionList(const nlohmann::json& extensions) {
  return RenderList(extensions, {{"Name", "name"},
                                 {"ExtensionType", "properties.extensionType"},
                                 {"Scope", "properties.scope"},
                                 {"InstallState", "properties.installState"},
                                 {"Version", "version"}});
}

std::string RenderExtensionDeletion(std::string_view name, const nlohmann::json& result) {
  std::string text = fmt::format("deleted extension '{}'\n", name);
  nlohmann::json deleted = result.is_object() ? result.value("deleted", nlohmann::json::array())
                                              : nlohmann::json::array();
  nlohmann::json remaining = result.is_object()
                                 ? result.value("remaining", nlohmann::json::array())
                                 : nlohmann::json::array();
  if (!deleted.empty()) text += "deleted resources:\n" + RenderIds(deleted);
  if (remaining.empty()) {
    text += "remaining resources: none\n";
  } else {
    text += "remaining resources (kept; pass --delete-created-resources to delete them with the "
            "extension):\n" +
            RenderIds(remaining);
  }
  return text;
}

}  // namespace ty::cli
