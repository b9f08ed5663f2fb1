#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "server/placement.h"
#include "store/database.h"
#include "store/jobs.h"

namespace ty::server {

// A queued job turned into what its agent needs (the `job` object of an
// `assign` frame, docs/relay.md) and what it reserves on the cluster.
struct LaunchPlan {
  nlohmann::json launch;
  GangRequest request;
};

// Builds the plan from the job's stored spec and its compute's instance
// type. `public_url` is how job processes reach the server for tracking.
// Errors: kNotFound when the compute or instance type is gone,
// kInternal when the stored spec no longer parses.
absl::StatusOr<LaunchPlan> BuildLaunchPlan(store::Transaction& transaction,
                                           const store::JobRecord& job,
                                           const std::string& public_url);

}  // namespace ty::server
