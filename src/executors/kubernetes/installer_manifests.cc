#include "executors/kubernetes/installer_manifests.h"

#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {
namespace {

using nlohmann::json;

// NOTE: these values are Trainyard's choice, sized for FUSE mounts of
// datasets with many files; the driver itself documents no minimum.
constexpr char kSysctlCommand[] =
    "sysctl -w fs.inotify.max_user_watches=524288 && "
    "sysctl -w fs.inotify.max_user_instances=8192";

json Metadata(const std::string& name, const std::string& namespace_name,
              const std::string& extension) {
  json metadata = {{"name", name},
                   {"labels", {{kManagedByLabel, kManagedByValue},
                               {"app.kubernetes.io/part-of", "trainyard-extension"}}},
                   {"annotations", {{kExtensionAnnotation, extension}}}};
  if (!namespace_name.empty()) metadata["namespace"] = namespace_name;
  return metadata;
}

json DaemonSet(const std::string& name, const std::string& namespace_name,
               const std::string& extension, json pod_spec) {
  json selector = {{"app.kubernetes.io/name", name}};
  json labels = selector;
  labels[kManagedByLabel] = kManagedByValue;
  pod_spec["nodeSelector"] = {{"kubernetes.io/os", "linux"}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata", Metadata(name, namespace_name, extension)},
          {"spec",
           {{"selector", {{"matchLabels", selector}}},
            {"updateStrategy", {{"type", "RollingUpdate"}}},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}}}};
}

json HostPathVolume(const std::string& name, const std::string& path) {
  return {{"name", name}, {"hostPath", {{"path", path}, {"type", "DirectoryOrCreate"}}}};
}

}  // namespace

json NamespaceObject(const std::string& name, const std::string& extension) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Metadata(name, "", extension)}};
}

json TrainingServiceAccount(const std::string& namespace_name, const std::string& extension) {
  return {{"apiVersion", "v1"},
          {"kind", "ServiceAccount"},
          {"metadata", Metadata(kTrainingAccount, namespace_name, extension)}};
}

json TrainingRole(const std::string& namespace_name, const std::string& extension) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "Role"},
          {"metadata", Metadata(kTrainingAccount, namespace_name, extension)},
          {"rules",
           {{{"apiGroups", {""}},
             {"resources", {"pods", "services"}},
             {"verbs", {"get", "list", "watch"}}}}}};
}

json TrainingRoleBinding(const std::string& namespace_name, const std::string& extension) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "RoleBinding"},
          {"metadata", Metadata(kTrainingAccount, namespace_name, extension)},
          {"roleRef",
           {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", kTrainingAccount}}},
          {"subjects",
           {{{"kind", "ServiceAccount"}, {"name", kTrainingAccount},
             {"namespace", namespace_name}}}}};
}

json DevicePluginDaemonSet(const std::string& namespace_name, const std::string& extension,
                           const InstallerImages& images) {
  json container = {
      {"name", "nvidia-device-plugin-ctr"},
      {"image", images.device_plugin},
      {"env", {{{"name", "FAIL_ON_INIT_ERROR"}, {"value", "false"}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", {"ALL"}}}}}},
      {"volumeMounts",
       {{{"name", "device-plugin"}, {"mountPath", "/var/lib/kubelet/device-plugins"}}}}};
  json pod_spec = {
      {"tolerations",
       {{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}}},
      {"containers", {container}},
      {"volumes", {HostPathVolume("device-plugin", "/var/lib/kubelet/device-plugins")}}};
  return DaemonSet(kDevicePluginName, namespace_name, extension, pod_spec);
}

json FlexvolDaemonSet(const std::string& namespace_name, const std::string& extension,
                      const std::string& volume_plugin_dir, const InstallerImages& images) {
  // The installer image copies the driver into /etc/kubernetes/volumeplugins
  // inside its container; the host path behind it is the setting.
  json container = {{"name", "blobfuse-flexvol-installer"},
                    {"image", images.flexvol},
                    {"imagePullPolicy", "IfNotPresent"},
                    {"volumeMounts",
                     {{{"name", "volplugins"}, {"mountPath", "/etc/kubernetes/volumeplugins/"}},
                      {{"name", "varlog"}, {"mountPath", "/var/log/"}}}}};
  json pod_spec = {{"containers", {container}},
                   {"volumes",
                    {HostPathVolume("volplugins", volume_plugin_dir),
                     HostPathVolume("varlog", "/var/log/")}}};
  return DaemonSet(kFlexvolName, namespace_name, extension, pod_spec);
}

json SysctlDaemonSet(const std::string& namespace_name, const std::string& extension,
                     const InstallerImages& images) {
  json init = {{"name", "set-sysctls"},
               {"image", images.sysctl},
               {"command", {"/bin/sh", "-c", kSysctlCommand}},
               {"securityContext", {{"privileged", true}}}};
  json pause = {{"name", "pause"}, {"image", images.pause}};
  json pod_spec = {{"initContainers", {init}}, {"containers", {pause}}};
  return DaemonSet(kSysctlName, namespace_name, extension, pod_spec);
}

bool CreatedByExtension(const json& object, const std::string& extension) {
  const json& metadata = object.value("metadata", json::object());
  const json& labels = metadata.value("labels", json::object());
  const json& annotations = metadata.value("annotations", json::object());
  return labels.value(kManagedByLabel, "") == kManagedByValue &&
         annotations.value(kExtensionAnnotation, "") == extension;
}

}  // namespace ty::executors::kubernetes
