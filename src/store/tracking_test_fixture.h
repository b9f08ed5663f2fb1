#pragma once

// A store with one workspace ("rg"/"ws") and helpers to submit jobs, for the
// tracking store's tests.

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "store/jobs.h"
#include "store/resources.h"
#include "store/schema.h"
#include "store/temp_dir.h"
#include "store/tracking_runs.h"

namespace ty::store {

class TrackingStoreTest : public ::testing::Test {
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

  // Inserts a queued job and returns it.
  JobRecord Submit(std::string_view name, std::string_view experiment = "") {
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    JobRecord job;
    job.workspace_id = workspace_id_;
    job.resource_group = "rg";
    job.workspace = "ws";
    job.name = std::string(name);
    job.compute = "local";
    job.cluster_id = "/resourceGroups/rg/connectedClusters/c1";
    job.experiment = std::string(experiment);
    absl::Status status = InsertJob(*transaction, job);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_TRUE(transaction->Commit().ok());
    return job;
  }

  // Submits a job and returns its tracking run.
  TrackingRun SubmitWithRun(std::string_view name, std::string_view experiment = "") {
    JobRecord job = Submit(name, experiment);
    auto transaction = database_->Begin();
    EXPECT_TRUE(transaction.ok());
    absl::StatusOr<TrackingRun> run = EnsureJobRun(*transaction, job);
    EXPECT_TRUE(run.ok()) << run.status();
    EXPECT_TRUE(transaction->Commit().ok());
    return *run;
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
  std::string workspace_id_;
};

}  // namespace ty::store
