// The jobs list: filters, both orders, paging, tag filters and the indexes
// that keep a page cheap in a large workspace.

#include <gtest/gtest.h>

#include "store/jobs.h"
#include "store/schema.h"
#include "store/temp_dir.h"

namespace ty::store {
namespace {

class JobListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenStore((dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = std::move(*opened);
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    Resource group{.type = std::string(kResourceGroups), .resource_group = "rg", .name = "rg"};
    ASSERT_TRUE(InsertResource(*transaction, group).ok());
    Resource workspace{.type = std::string(kWorkspaces), .resource_group = "rg",
                       .parent_id = group.id, .name = "ws"};
    ASSERT_TRUE(InsertResource(*transaction, workspace).ok());
    workspace_id_ = workspace.id;
    ASSERT_TRUE(transaction->Commit().ok());
  }

  void Submit(Transaction& transaction, std::string name, std::string experiment,
              nlohmann::json tags) {
    JobRecord job;
    job.workspace_id = workspace_id_;
    job.resource_group = "rg";
    job.workspace = "ws";
    job.name = std::move(name);
    job.compute = job.name.back() == '0' ? "gpu" : "cpu";
    job.experiment = std::move(experiment);
    job.cluster_id = "/resourceGroups/rg/connectedClusters/c1";
    job.spec = {{"tags", std::move(tags)}};
    absl::Status status = InsertJob(transaction, job);
    ASSERT_TRUE(status.ok()) << status;
  }

  std::vector<std::string> Names(const JobFilter& filter, int page_size = 100,
                                 std::string* next_token = nullptr, std::string token = "") {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    PageRequest page;
    page.page_size = page_size;
    page.page_token = std::move(token);
    auto listed = ListJobs(*transaction, workspace_id_, filter, page);
    EXPECT_TRUE(listed.ok()) << listed.status();
    std::vector<std::string> names;
    if (!listed.ok()) return names;
    for (const JobRecord& job : listed->items) names.push_back(job.name);
    if (next_token != nullptr) *next_token = listed->next_page_token;
    return names;
  }

  std::string QueryPlan(const JobFilter& filter) {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    auto plan = transaction->Prepare("EXPLAIN QUERY PLAN " + ListJobsSql(filter));
    EXPECT_TRUE(plan.ok()) << plan.status();
    std::string text;
    while (plan.ok() && *plan->Step()) text += plan->Text(3) + "\n";
    return text;
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
  std::string workspace_id_;
};

TEST_F(JobListTest, FiltersByTagNameAndValue) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    Submit(*transaction, "j1", "e", {{"team", "vision"}});
    Submit(*transaction, "j2", "e", {{"team", "speech"}, {"priority", "high"}});
    Submit(*transaction, "j3", "e", nlohmann::json::object());
    ASSERT_TRUE(transaction->Commit().ok());
  }

  EXPECT_EQ(Names({.tag_name = "team"}), (std::vector<std::string>{"j2", "j1"}));
  EXPECT_EQ(Names({.tag_name = "team", .tag_value = "vision"}), std::vector<std::string>{"j1"});
  EXPECT_EQ(Names({.tag_name = "priority"}), std::vector<std::string>{"j2"});
  EXPECT_TRUE(Names({.tag_name = "team", .tag_value = "nobody"}).empty());
}

TEST_F(JobListTest, OldestFirstPagesInOrder) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    for (int i = 1; i <= 5; ++i) Submit(*transaction, "j" + std::to_string(i), "e", {});
    ASSERT_TRUE(transaction->Commit().ok());
  }

  JobFilter oldest{.oldest_first = true};
  std::string token;
  EXPECT_EQ(Names(oldest, 2, &token), (std::vector<std::string>{"j1", "j2"}));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Names(oldest, 2, &token, token), (std::vector<std::string>{"j3", "j4"}));
  EXPECT_EQ(Names(oldest, 2, &token, token), std::vector<std::string>{"j5"});
  EXPECT_TRUE(token.empty());
}

TEST_F(JobListTest, CombinedFiltersOnManyJobs) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    for (int i = 0; i < 2000; ++i) {
      nlohmann::json tags = nlohmann::json::object();
      if (i % 100 == 0) tags["rare"] = "yes";
      Submit(*transaction, "j" + std::to_string(i), i % 2 == 0 ? "even" : "odd", tags);
    }
    ASSERT_TRUE(transaction->Commit().ok());
  }

  // Names ending in 0 run on "gpu"; every tenth job, all of them even.
  std::vector<std::string> gpu_even =
      Names({.experiment = "even", .compute = "gpu", .tag_name = "rare"}, 100);
  ASSERT_EQ(gpu_even.size(), 20u);
  EXPECT_EQ(gpu_even.front(), "j1900");
  EXPECT_EQ(gpu_even.back(), "j0");
  EXPECT_TRUE(Names({.experiment = "odd", .tag_name = "rare"}).empty());
}

// Verifies that SQLite uses an index for each filter rather than scanning
// the workspace's jobs, which keeps the list fast with 100,000 jobs.
TEST_F(JobListTest, FiltersUseIndexes) {
  EXPECT_NE(QueryPlan({}).find("jobs_by_workspace"), std::string::npos) << QueryPlan({});
  JobFilter status{.status = api::JobStatus::kRunning};
  EXPECT_NE(QueryPlan(status).find("jobs_by_workspace_status"), std::string::npos)
      << QueryPlan(status);
  JobFilter experiment{.experiment = "e"};
  EXPECT_NE(QueryPlan(experiment).find("jobs_by_workspace_experiment"), std::string::npos)
      << QueryPlan(experiment);
  JobFilter compute{.compute = "gpu"};
  EXPECT_NE(QueryPlan(compute).find("jobs_by_workspace_compute"), std::string::npos)
      << QueryPlan(compute);
  JobFilter tag{.tag_name = "team", .tag_value = "vision"};
  EXPECT_NE(QueryPlan(tag).find("job_tags"), std::string::npos) << QueryPlan(tag);
  for (const JobFilter& filter : {JobFilter{}, status, experiment, compute, tag}) {
    EXPECT_EQ(QueryPlan(filter).find("SCAN jobs"), std::string::npos) << QueryPlan(filter);
    EXPECT_EQ(QueryPlan(filter).find("TEMP B-TREE"), std::string::npos) << QueryPlan(filter);
  }
}

TEST_F(JobListTest, UpdatedSinceReturnsChangedJobs) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    Submit(*transaction, "j1", "e", {});
    ASSERT_TRUE(transaction->Commit().ok());
  }

  auto read = database_->BeginRead();
  ASSERT_TRUE(read.ok());
  auto all = ListJobsUpdatedSince(*read, workspace_id_, 0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  auto none = ListJobsUpdatedSince(*read, workspace_id_, (*all)[0].updated_at + 1, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace ty::store
