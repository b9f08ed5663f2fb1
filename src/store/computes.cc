#include "store/computes.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "api/locations.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "store/extensions.h"

namespace ty::store {

absl::StatusOr<Resource> AttachCompute(Transaction& transaction, const NewCompute& request) {
  ASSIGN_OR_RETURN(Resource workspace, GetResource(transaction, request.workspace_id));
  std::string cluster_id = ChildId(GroupId(request.cluster_resource_group), kConnectedClusters,
                                   request.cluster_name);
  ASSIGN_OR_RETURN(std::optional<Resource> cluster, FindResource(transaction, cluster_id));
  if (!cluster) {
    return FieldError(absl::StatusCode::kNotFound, "clusterName",
                      fmt::format("{} not found; register it with `trainyard connectedk8s "
                                  "connect` or check the name with `trainyard connectedk8s list`",
                                  DescribeResource(cluster_id)));
  }
  if (cluster->location != workspace.location) {
    return api::LocationMismatchError(cluster->name, cluster->location, workspace.name,
                                      workspace.location);
  }
  RETURN_IF_ERROR(
      CheckTrainingEnabled(transaction, *cluster, "attach it as a compute", "clusterName"));

  Resource compute;
  compute.type = kComputes;
  compute.resource_group = workspace.resource_group;
  compute.parent_id = workspace.id;
  compute.name = request.name;
  compute.location = workspace.location;
  compute.properties = {{"computeType", "Kubernetes"},
                        {"clusterId", cluster->id},
                        {"clusterResourceGroup", cluster->resource_group},
                        {"clusterName", cluster->name},
                        {"namespace", request.namespace_name}};
  RETURN_IF_ERROR(InsertResource(transaction, compute));
  RETURN_IF_ERROR(AddReference(transaction, compute.id, cluster->id));
  RETURN_IF_ERROR(
      CreateInstanceType(transaction, compute.id, api::DefaultInstanceType()).status());
  return compute;
}

absl::Status DetachCompute(Transaction& transaction, std::string_view compute_id) {
  ASSIGN_OR_RETURN(Resource compute, GetResource(transaction, compute_id));
  ASSIGN_OR_RETURN(Statement active,
                   transaction.Query("SELECT name FROM jobs WHERE workspace_id = ?1 AND "
                                     "compute = ?2 AND status NOT IN "
                                     "('Completed', 'Failed', 'Canceled') ORDER BY name",
                                     compute.parent_id, compute.name));
  std::vector<std::string> jobs;
  while (true) {
    ASSIGN_OR_RETURN(bool row, active.Step());
    if (!row) break;
    jobs.push_back(fmt::format("'{}'", active.Text(0)));
  }
  if (!jobs.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "cannot detach {} while jobs {} are not finished; cancel them with `trainyard ml job "
        "cancel` or wait for them to end",
        DescribeResource(compute.id), absl::StrJoin(jobs, ", ")));
  }

  ASSIGN_OR_RETURN(std::vector<Resource> instance_types,
                   ListAllResources(transaction, kInstanceTypes, compute.id));
  for (const Resource& instance_type : instance_types) {
    RETURN_IF_ERROR(DeleteResource(transaction, instance_type.id));
  }
  RETURN_IF_ERROR(RemoveReferences(transaction, compute.id));
  return DeleteResource(transaction, compute.id);
}

absl::StatusOr<Resource> CreateInstanceType(Transaction& transaction,
                                            std::string_view compute_id,
                                            const api::InstanceType& instance_type) {
  ASSIGN_OR_RETURN(Resource compute, GetResource(transaction, compute_id));
  Resource resource;
  resource.type = kInstanceTypes;
  resource.resource_group = compute.resource_group;
  resource.parent_id = compute.id;
  resource.name = instance_type.name;
  resource.properties = api::InstanceTypeToJson(instance_type);
  RETURN_IF_ERROR(InsertResource(transaction, resource));
  return resource;
}

absl::StatusOr<api::InstanceType> InstanceTypeOf(const Resource& resource) {
  absl::StatusOr<api::InstanceType> parsed = api::InstanceTypeFromJson(resource.properties);
  if (!parsed.ok()) {
    return absl::InternalError(fmt::format("stored {} is unreadable: {}",
                                           DescribeResource(resource.id),
                                           std::string(parsed.status().message())));
  }
  return parsed;
}

}  // namespace ty::store
