#pragma once

// The Kubernetes resource types the agent uses and their REST paths.

#include <string>
#include <string_view>

namespace ty::kube {

struct ResourceType {
  std::string api_version;  // "v1", "batch/v1", "apps/v1", ...
  std::string plural;       // "pods": the path segment and the RBAC resource name
  std::string kind;         // "Pod"
  bool namespaced = true;

  // The group for RBAC and messages: "" for the core group, else "batch".
  std::string Group() const;
  // "pods" for the core group, "jobs.batch" for others, as kubectl names them.
  std::string QualifiedName() const;
};

extern const ResourceType kNamespaces;
extern const ResourceType kNodes;
extern const ResourceType kPods;
extern const ResourceType kServices;
extern const ResourceType kConfigMaps;
extern const ResourceType kServiceAccounts;
extern const ResourceType kJobs;
extern const ResourceType kDaemonSets;
extern const ResourceType kRoles;
extern const ResourceType kRoleBindings;

// "/api/v1/namespaces/<ns>/pods" or "/apis/batch/v1/jobs"; the namespace is
// left out for cluster-scoped types and when `namespace_name` is empty.
std::string CollectionPath(const ResourceType& type, std::string_view namespace_name);

// CollectionPath plus "/<name>".
std::string ObjectPath(const ResourceType& type, std::string_view namespace_name,
                       std::string_view name);

}  // namespace ty::kube
