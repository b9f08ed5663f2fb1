#include "kube/resource.h"

#include <fmt/format.h>

namespace ty::kube {

const ResourceType kNamespaces{"v1", "namespaces", "Namespace", false};
const ResourceType kNodes{"v1", "nodes", "Node", false};
const ResourceType kPods{"v1", "pods", "Pod", true};
const ResourceType kServices{"v1", "services", "Service", true};
const ResourceType kConfigMaps{"v1", "configmaps", "ConfigMap", true};
const ResourceType kServiceAccounts{"v1", "serviceaccounts", "ServiceAccount", true};
const ResourceType kJobs{"batch/v1", "jobs", "Job", true};
const ResourceType kDaemonSets{"apps/v1", "daemonsets", "DaemonSet", true};
const ResourceType kRoles{"rbac.authorization.k8s.io/v1", "roles", "Role", true};
const ResourceType kRoleBindings{"rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding",
                                 true};

std::string ResourceType::Group() const {
  size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

std::string ResourceType::QualifiedName() const {
  std::string group = Group();
  return group.empty() ? plural : fmt::format("{}.{}", plural, group);
}

std::string CollectionPath(const ResourceType& type, std::string_view namespace_name) {
  std::string root = type.Group().empty() ? fmt::format("/api/{}", type.api_version)
                                          : fmt::format("/apis/{}", type.api_version);
  if (type.namespaced && !namespace_name.empty()) {
    return fmt::format("{}/namespaces/{}/{}", root, namespace_name, type.plural);
  }
  return fmt::format("{}/{}", root, type.plural);
}

std::string ObjectPath(const ResourceType& type, std::string_view namespace_name,
                       std::string_view name) {
  return fmt::format("{}/{}", CollectionPath(type, namespace_name), name);
}

}  // namespace ty::kube
