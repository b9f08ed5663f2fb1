#include "kube/resource.h"

#include <gtest/gtest.h>

namespace ty::kube {
namespace {

TEST(ResourceTest, PathsFollowApiGroups) {
  EXPECT_EQ(CollectionPath(kPods, "team-a"), "/api/v1/namespaces/team-a/pods");
  EXPECT_EQ(ObjectPath(kJobs, "team-a", "j1"), "/apis/batch/v1/namespaces/team-a/jobs/j1");
  EXPECT_EQ(ObjectPath(kNodes, "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(CollectionPath(kRoles, "x"),
            "/apis/rbac.authorization.k8s.io/v1/namespaces/x/roles");
  EXPECT_EQ(CollectionPath(kDaemonSets, ""), "/apis/apps/v1/daemonsets");
}

TEST(ResourceTest, QualifiedNamesMatchKubectl) {
  EXPECT_EQ(kPods.QualifiedName(), "pods");
  EXPECT_EQ(kJobs.QualifiedName(), "jobs.batch");
  EXPECT_EQ(kRoleBindings.QualifiedName(), "rolebindings.rbac.authorization.k8s.io");
}

}  // namespace
}  // namespace ty::kube
