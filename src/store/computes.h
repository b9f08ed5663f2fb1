#pragma once

// Compute targets (a connected cluster attached to a workspace) and their
// instance types.
//
// Compute `properties`: computeType ("Kubernetes"), clusterId,
// clusterResourceGroup, clusterName, namespace. Each compute refers to its
// cluster, so the cluster cannot be deleted while attached. Instance types
// are children of the compute with api::InstanceTypeToJson as properties.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/instance_type.h"
#include "store/database.h"
#include "store/resources.h"

namespace ty::store {

struct NewCompute {
  std::string workspace_id;
  std::string name;                    // already validated
  std::string cluster_resource_group;  // already validated
  std::string cluster_name;            // already validated
  std::string namespace_name;          // already validated
};

// Attaches the cluster to the workspace and gives the compute the default
// instance type. Errors: kNotFound for a missing workspace or cluster (field
// "clusterName"); kFailedPrecondition when the cluster and the workspace are
// in different locations or the cluster has no installed extension with
// enableTraining=True (field "clusterName", with the command that fixes it);
// kAlreadyExists for a taken name.
absl::StatusOr<Resource> AttachCompute(Transaction& transaction, const NewCompute& compute);

// Detaches the compute and deletes its instance types. Errors: kNotFound;
// kFailedPrecondition naming the jobs that are not final yet.
absl::Status DetachCompute(Transaction& transaction, std::string_view compute_id);

// Adds an instance type (already validated) to the compute. Errors:
// kNotFound for a missing compute, kAlreadyExists for a taken name.
absl::StatusOr<Resource> CreateInstanceType(Transaction& transaction,
                                            std::string_view compute_id,
                                            const api::InstanceType& instance_type);

// Reads an instance type back from its resource. kInternal when the stored
// JSON no longer parses.
absl::StatusOr<api::InstanceType> InstanceTypeOf(const Resource& resource);

}  // namespace ty::store
