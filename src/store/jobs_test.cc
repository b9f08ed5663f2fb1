#include "store/jobs.h"

#include <gtest/gtest.h>

#include "store/job_logs.h"
#include "store/schema.h"
#include "store/temp_dir.h"

namespace ty::store {
namespace {

using api::JobStatus;

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenStore((dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = std::move(*opened);

    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    Resource group;
    group.type = kResourceGroups;
    group.name = "rg";
    group.resource_group = "rg";
    ASSERT_TRUE(InsertResource(*transaction, group).ok());
    Resource workspace;
    workspace.type = kWorkspaces;
    workspace.parent_id = group.id;
    workspace.resource_group = "rg";
    workspace.name = "ws";
    ASSERT_TRUE(InsertResource(*transaction, workspace).ok());
    workspace_id_ = workspace.id;
    ASSERT_TRUE(transaction->Commit().ok());
  }

  std::string Submit(std::string_view name) {
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    JobRecord job;
    job.workspace_id = workspace_id_;
    job.resource_group = "rg";
    job.workspace = "ws";
    job.name = std::string(name);
    job.compute = "k8s";
    job.cluster_id = "/resourceGroups/rg/connectedClusters/c1";
    absl::Status status = InsertJob(*transaction, job);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_TRUE(transaction->Commit().ok());
    return job.id;
  }

  JobRecord Read(std::string_view id) {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    auto job = GetJob(*transaction, id);
    EXPECT_TRUE(job.ok()) << job.status();
    return *job;
  }

  absl::StatusOr<bool> Report(std::string_view id, JobStatus status,
                              std::optional<int64_t> rank = std::nullopt) {
    JobStatusUpdate update;
    update.job_id = std::string(id);
    update.status = status;
    update.time_millis = 1000;
    update.rank = rank;
    update.exit_code = status == JobStatus::kCompleted ? std::optional<int64_t>(0) : std::nullopt;
    return AppendJobStatus(*database_, notifier_, update);
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
  Notifier notifier_;
  std::string workspace_id_;
};

TEST_F(JobsTest, DuplicateNameIsAlreadyExists) {
  Submit("a");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  JobRecord again;
  again.workspace_id = workspace_id_;
  again.workspace = "ws";
  again.name = "a";
  EXPECT_EQ(InsertJob(*transaction, again).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(JobsTest, StatusesMoveForwardOnly) {
  std::string id = Submit("a");
  EXPECT_TRUE(*Report(id, JobStatus::kRunning));
  EXPECT_FALSE(*Report(id, JobStatus::kRunning));   // duplicate
  EXPECT_FALSE(*Report(id, JobStatus::kStarting));  // late
  EXPECT_TRUE(*Report(id, JobStatus::kCompleted));
  EXPECT_FALSE(*Report(id, JobStatus::kFailed));    // final stays final

  JobRecord job = Read(id);
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.started_at, 1000);
  EXPECT_EQ(job.ended_at, 1000);
  EXPECT_EQ(job.exit_code, 0);

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  auto history = JobHistory(*transaction, id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].status, JobStatus::kQueued);
  EXPECT_EQ((*history)[2].status, JobStatus::kCompleted);
}

TEST_F(JobsTest, NodeStatusesKeptPerRank) {
  std::string id = Submit("a");
  EXPECT_TRUE(*Report(id, JobStatus::kRunning, 0));
  EXPECT_TRUE(*Report(id, JobStatus::kRunning, 1));
  EXPECT_TRUE(*Report(id, JobStatus::kCompleted, 1));
  EXPECT_FALSE(*Report(id, JobStatus::kRunning, 1));
  EXPECT_EQ(Read(id).status, JobStatus::kQueued);

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  auto nodes = JobNodes(*transaction, id);
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].status, JobStatus::kRunning);
  EXPECT_EQ((*nodes)[1].status, JobStatus::kCompleted);
}

TEST_F(JobsTest, CancelQueuedIsImmediate) {
  std::string id = Submit("a");
  auto canceled = CancelJob(*database_, notifier_, id, 5);
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  EXPECT_EQ(canceled->status, JobStatus::kCanceled);
  auto again = CancelJob(*database_, notifier_, id, 6);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, JobStatus::kCanceled);
}

TEST_F(JobsTest, CancelRunningRequestsStop) {
  std::string id = Submit("a");
  ASSERT_TRUE(*Report(id, JobStatus::kRunning));
  uint64_t seen = notifier_.Version(ClusterTopic("/resourceGroups/rg/connectedClusters/c1"));
  auto requested = CancelJob(*database_, notifier_, id, 5);
  ASSERT_TRUE(requested.ok());
  EXPECT_EQ(requested->status, JobStatus::kCancelRequested);
  EXPECT_NE(notifier_.Version(ClusterTopic("/resourceGroups/rg/connectedClusters/c1")), seen);
  EXPECT_TRUE(*Report(id, JobStatus::kCanceled));
}

TEST_F(JobsTest, ListNewestFirstWithFiltersAndPages) {
  for (std::string name : {"a", "b", "c"}) Submit(name);
  ASSERT_TRUE(CancelJob(*database_, notifier_, JobId(workspace_id_, "b"), 1).ok());

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  PageRequest page;
  page.page_size = 2;
  auto first = ListJobs(*transaction, workspace_id_, {}, page);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].name, "c");
  page.page_token = first->next_page_token;
  auto second = ListJobs(*transaction, workspace_id_, {}, page);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].name, "a");
  EXPECT_TRUE(second->next_page_token.empty());

  JobFilter canceled;
  canceled.status = JobStatus::kCanceled;
  auto filtered = ListJobs(*transaction, workspace_id_, canceled, {});
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->items.size(), 1u);
  EXPECT_EQ(filtered->items[0].name, "b");
}

TEST_F(JobsTest, QueuedJobsOldestFirst) {
  Submit("x");
  Submit("y");
  auto queued = ListQueuedJobs(*database_);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].name, "x");
}

TEST_F(JobsTest, LogChunksAreStoredOnce) {
  std::string id = Submit("a");
  LogChunk chunk;
  chunk.job_id = id;
  chunk.node = "n0";
  chunk.stream = "stdout";
  chunk.lines = {{1, "one"}, {2, "two"}};
  EXPECT_EQ(*AppendLogLines(*database_, notifier_, chunk), 2);
  EXPECT_EQ(*AppendLogLines(*database_, notifier_, chunk), 0);  // resent after a reconnect

  chunk.offset = 1;  // overlaps one stored line
  chunk.lines = {{2, "two"}, {3, "three"}};
  EXPECT_EQ(*AppendLogLines(*database_, notifier_, chunk), 1);

  auto page = ReadLogLines(*database_, id, 0, std::nullopt, 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->lines.size(), 3u);
  EXPECT_EQ(page->lines[2].text, "three");
  EXPECT_EQ(page->next_seq, 3);

  auto rest = ReadLogLines(*database_, id, 2, std::nullopt, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->lines.size(), 1u);
  auto other_rank = ReadLogLines(*database_, id, 0, 1, 100);
  ASSERT_TRUE(other_rank.ok());
  EXPECT_TRUE(other_rank->lines.empty());
}

TEST_F(JobsTest, ArtifactsReplaceByPath) {
  std::string id = Submit("a");
  ASSERT_TRUE(AddArtifact(*database_, id, {"model.pt", 3, "sha256:aa"}).ok());
  ASSERT_TRUE(AddArtifact(*database_, id, {"model.pt", 4, "sha256:bb"}).ok());
  auto artifacts = ListArtifacts(*database_, id);
  ASSERT_TRUE(artifacts.ok());
  ASSERT_EQ(artifacts->size(), 1u);
  EXPECT_EQ((*artifacts)[0].digest, "sha256:bb");
  EXPECT_EQ(AddArtifact(*database_, JobId(workspace_id_, "nope"), {"x", 1, "sha256:cc"}).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ty::store
