#pragma once

// The objects that installing the extension puts on a cluster. Each carries
// the kManagedByLabel label and the kExtensionAnnotation annotation, which
// mark it as created by Trainyard for that extension, so that an object of
// the same name that someone else created is never taken over.

#include <string>

#include <nlohmann/json.hpp>

namespace ty::executors::kubernetes {

inline constexpr char kExtensionAnnotation[] = "trainyard.dev/extension";

// Names of the installed objects.
inline constexpr char kTrainingAccount[] = "trainyard-training";  // ServiceAccount, Role, RoleBinding
inline constexpr char kDevicePluginName[] = "trainyard-nvidia-device-plugin";
inline constexpr char kFlexvolName[] = "trainyard-blobfuse-flexvol";
inline constexpr char kSysctlName[] = "trainyard-blobfuse-sysctl";

struct InstallerImages {
  std::string device_plugin = "nvcr.io/nvidia/k8s-device-plugin:v0.14.5";
  std::string flexvol = "mcr.microsoft.com/k8s/flexvolume/blobfuse-flexvolume:1.0.8";
  std::string sysctl = "busybox:1.36";
  std::string pause = "registry.k8s.io/pause:3.9";
};

nlohmann::json NamespaceObject(const std::string& name, const std::string& extension);

// The account job pods run as.
nlohmann::json TrainingServiceAccount(const std::string& namespace_name,
                                      const std::string& extension);

// Least privilege for job pods: read the pods and services of their own
// namespace, so that ranks can look up their peers. Nothing else.
nlohmann::json TrainingRole(const std::string& namespace_name, const std::string& extension);

nlohmann::json TrainingRoleBinding(const std::string& namespace_name,
                                   const std::string& extension);

// NVIDIA's device plugin, after its upstream static manifest: registers
// nvidia.com/gpu with the kubelet on every Linux node, tolerating the
// nvidia.com/gpu taint of GPU nodes.
nlohmann::json DevicePluginDaemonSet(const std::string& namespace_name,
                                     const std::string& extension, const InstallerImages& images);

// Installs the blobfuse FlexVolume driver into `volume_plugin_dir` on every
// Linux node (the kubelet's --volume-plugin-dir).
nlohmann::json FlexvolDaemonSet(const std::string& namespace_name, const std::string& extension,
                                const std::string& volume_plugin_dir,
                                const InstallerImages& images);

// Sets the node kernel settings that FUSE mounts with many files need,
// from a privileged init container, then idles.
nlohmann::json SysctlDaemonSet(const std::string& namespace_name, const std::string& extension,
                               const InstallerImages& images);

// True when `object` carries the marks above for `extension`.
bool CreatedByExtension(const nlohmann::json& object, const std::string& extension);

}  // namespace ty::executors::kubernetes
