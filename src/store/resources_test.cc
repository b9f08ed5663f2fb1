#include "store/resources.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "store/temp_dir.h"

namespace ty::store {
namespace {

class ResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open((dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = std::move(*opened);
    MigrationSet migrations;
    migrations.Add(ResourceMigrations());
    ASSERT_TRUE(migrations.Apply(*database_).ok());
  }

  // Inserts a resource in its own transaction and returns its id.
  std::string Insert(std::string_view type, std::string_view parent_id, std::string_view name) {
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    Resource resource;
    resource.type = std::string(type);
    resource.parent_id = std::string(parent_id);
    resource.resource_group = "rg";
    resource.name = std::string(name);
    resource.properties = {{"n", name}};
    absl::Status status = InsertResource(*transaction, resource);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_TRUE(transaction->Commit().ok());
    return resource.id;
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
};

TEST_F(ResourcesTest, InsertFillsIdAndVersion) {
  std::string group = Insert(kResourceGroups, "", "rg");
  std::string cluster = Insert(kConnectedClusters, group, "c1");
  EXPECT_EQ(cluster, "/resourceGroups/rg/connectedClusters/c1");

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  auto resource = GetResource(*transaction, cluster);
  ASSERT_TRUE(resource.ok()) << resource.status();
  EXPECT_EQ(resource->version, 1);
  EXPECT_EQ(resource->properties["n"], "c1");
  EXPECT_EQ(resource->parent_id, group);
}

TEST_F(ResourcesTest, DuplicateNameIsAlreadyExists) {
  Insert(kResourceGroups, "", "rg");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  Resource again;
  again.type = kResourceGroups;
  again.name = "rg";
  absl::Status status = InsertResource(*transaction, again);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorField(status), "name");
  EXPECT_NE(status.message().find("resource group 'rg' already exists"), std::string_view::npos)
      << status;
}

TEST_F(ResourcesTest, MissingParentIsFailedPrecondition) {
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  Resource orphan;
  orphan.type = kWorkspaces;
  orphan.parent_id = GroupId("nope");
  orphan.name = "ws";
  EXPECT_EQ(InsertResource(*transaction, orphan).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ResourcesTest, UpdateChecksExpectedVersion) {
  std::string id = Insert(kResourceGroups, "", "rg");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  auto resource = GetResource(*transaction, id);
  ASSERT_TRUE(resource.ok());

  ASSERT_TRUE(UpdateResource(*transaction, *resource, 1).ok());
  EXPECT_EQ(resource->version, 2);

  absl::Status stale = UpdateResource(*transaction, *resource, 1);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorField(stale), "version");
  EXPECT_TRUE(UpdateResource(*transaction, *resource).ok());
  EXPECT_EQ(resource->version, 3);
}

TEST_F(ResourcesTest, DeleteRefusedWhileChildrenOrReferencesExist) {
  std::string group = Insert(kResourceGroups, "", "rg");
  std::string cluster = Insert(kConnectedClusters, group, "c1");
  std::string workspace = Insert(kWorkspaces, group, "ws");
  std::string compute = Insert(kComputes, workspace, "k8s");

  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  ASSERT_TRUE(AddReference(*transaction, compute, cluster).ok());

  absl::Status group_status = DeleteResource(*transaction, group);
  EXPECT_EQ(group_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(group_status.message().find("connected cluster 'c1'"), std::string_view::npos)
      << group_status;
  EXPECT_NE(group_status.message().find("workspace 'ws'"), std::string_view::npos);

  absl::Status cluster_status = DeleteResource(*transaction, cluster);
  EXPECT_EQ(cluster_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(cluster_status.message().find("compute 'k8s' in workspace 'ws'"),
            std::string_view::npos)
      << cluster_status;

  ASSERT_TRUE(DeleteResource(*transaction, compute).ok());
  EXPECT_TRUE(DeleteResource(*transaction, cluster).ok());
  EXPECT_EQ(DeleteResource(*transaction, cluster).code(), absl::StatusCode::kNotFound);
}

TEST_F(ResourcesTest, ListPagesByName) {
  std::string group = Insert(kResourceGroups, "", "rg");
  for (std::string name : {"d", "a", "c", "b", "e"}) Insert(kWorkspaces, group, name);

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  std::vector<std::string> names;
  PageRequest page;
  page.page_size = 2;
  int pages = 0;
  do {
    auto result = ListResources(*transaction, kWorkspaces, group, page);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const Resource& resource : result->items) names.push_back(resource.name);
    page.page_token = result->next_page_token;
    ++pages;
  } while (!page.page_token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(pages, 3);
}

TEST_F(ResourcesTest, ForeignPageTokenIsInvalid) {
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  PageRequest page;
  page.page_token = EncodePageToken(kConnectedClusters, "x");
  auto result = ListResources(*transaction, kWorkspaces, GroupId("rg"), page);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(result.status()), "pageToken");

  page.page_token = "%%%";
  EXPECT_EQ(ListResources(*transaction, kWorkspaces, GroupId("rg"), page).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DescribeResource, NamesParents) {
  EXPECT_EQ(DescribeResource("/resourceGroups/rg/connectedClusters/c1/extensions/ml"),
            "extension 'ml' in connected cluster 'c1' in resource group 'rg'");
  EXPECT_EQ(DescribeResource("/resourceGroups/rg"), "resource group 'rg'");
}

}  // namespace
}  // namespace ty::store
