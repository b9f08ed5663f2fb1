#pragma once

// Finds an NVIDIA device plugin DaemonSet, installed by Trainyard or anyone else.

#include <string>

#include "absl/status/statusor.h"
#include "kube/client.h"

namespace ty::executors::kubernetes {

struct DevicePluginInfo {
  bool found = false;
  std::string namespace_name;
  std::string name;
  bool ours = false;  // created by the extension installer
};

// Looks in kube-system and in `extension_namespace` for a DaemonSet whose
// name or app.kubernetes.io/name, app or name label contains
// "nvidia-device-plugin", or whose containers run a k8s-device-plugin
// image. Errors: those of listing DaemonSets.
absl::StatusOr<DevicePluginInfo> FindDevicePlugin(kube::Client& client,
                                                  const std::string& extension_namespace);

// A phrase for the message about a cluster without GPUs: "the NVIDIA device
// plugin runs as DaemonSet 'kube-system/x' but reports no GPUs", "no NVIDIA
// device plugin is installed", or why it could not be checked.
std::string DescribeDevicePlugin(const absl::StatusOr<DevicePluginInfo>& plugin);

}  // namespace ty::executors::kubernetes
