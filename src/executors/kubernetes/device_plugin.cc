#include "executors/kubernetes/device_plugin.h"

#include <fmt/format.h>

#include "common/log.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

constexpr char kPluginName[] = "nvidia-device-plugin";

bool IsDevicePlugin(const json& daemonset) {
  const json& metadata = daemonset.value("metadata", json::object());
  if (metadata.value("name", "").find(kPluginName) != std::string::npos) return true;
  const json& labels = metadata.value("labels", json::object());
  for (const char* key : {"app.kubernetes.io/name", "app", "name", "k8s-app"}) {
    if (labels.contains(key) && labels[key].is_string() &&
        labels[key].get<std::string>().find(kPluginName) != std::string::npos) {
      return true;
    }
  }
  const json& pod_spec = daemonset.value("spec", json::object())
                             .value("template", json::object())
                             .value("spec", json::object());
  for (const json& container : pod_spec.value("containers", json::array())) {
    if (container.value("image", "").find("k8s-device-plugin") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<DevicePluginInfo> FindDevicePlugin(kube::Client& client,
                                                  const std::string& extension_namespace) {
  for (const std::string& namespace_name : {std::string("kube-system"), extension_namespace}) {
    absl::StatusOr<json> list = client.List(kube::kDaemonSets, namespace_name);
    if (!list.ok()) {
      if (list.status().code() == absl::StatusCode::kNotFound) continue;
      return list.status();
    }
    for (const json& daemonset : list->value("items", json::array())) {
      if (!IsDevicePlugin(daemonset)) continue;
      const json& labels = daemonset["metadata"].value("labels", json::object());
      return DevicePluginInfo{.found = true,
                              .namespace_name = namespace_name,
                              .name = daemonset["metadata"].value("name", ""),
                              .ours = labels.value(kManagedByLabel, "") == kManagedByValue};
    }
  }
  return DevicePluginInfo{};
}

std::string DescribeDevicePlugin(const absl::StatusOr<DevicePluginInfo>& plugin) {
  if (!plugin.ok()) {
    return fmt::format("whether the NVIDIA device plugin is installed is unknown: {}",
                       plugin.status().message());
  }
  if (!plugin->found) return "no NVIDIA device plugin is installed";
  return fmt::format("the NVIDIA device plugin runs as DaemonSet '{}/{}' but reports no GPUs",
                     plugin->namespace_name, plugin->name);
}

}  // namespace ty::executors::kubernetes
