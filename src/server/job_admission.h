#pragma once

// Admission checks of a job against the capacity its compute's cluster
// reported: a job that can never run is rejected at submit instead of
// waiting in Queued forever. A job that fits the cluster but not what is free
// now is admitted and waits for the scheduler.

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"
#include "api/extension_settings.h"
#include "api/instance_type.h"

namespace ty::server {

struct AdmissionRequest {
  std::string compute;  // compute name, for messages
  api::InstanceType instance_type;
  int64_t instance_count = 1;
  // The extension's settings, to say whether the GPU device plugin is on.
  std::string extension_name;
  api::ExtensionSettings settings;
};

// Checks `request` against `capacity` ({"nodes": [...]} as the agent
// reports it; the caller handles a cluster that has reported nothing).
// Errors, all kFailedPrecondition with field "resources.instance_type":
//  - GPUs requested but no node has any: says whether the device plugin
//    setting is on and what to do;
//  - one instance larger than every node: names the instance type, its
//    requests and the largest node's allocatable resources;
//  - all instances at once never fit: names the resource, the total asked
//    and the total the compute has.
absl::Status CheckJobFits(const AdmissionRequest& request, const nlohmann::json& capacity);

}  // namespace ty::server
