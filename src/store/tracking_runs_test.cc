#include "store/tracking_runs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.h"
#include "store/job_tokens.h"
#include "store/notifier.h"
#include "store/tracking_test_fixture.h"

namespace ty::store {
namespace {

using ::testing::HasSubstr;

TEST_F(TrackingStoreTest, DefaultExperimentExists) {
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<Experiment> experiment = GetExperiment(*transaction, kDefaultExperimentId);
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  EXPECT_EQ(experiment->name, "Default");
  EXPECT_EQ(experiment->lifecycle_stage, "active");
}

TEST_F(TrackingStoreTest, JobRunIsStableAndJoinsExperiment) {
  JobRecord job = Submit("train-1", "digits");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<TrackingRun> first = EnsureJobRun(*transaction, job);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<TrackingRun> second = EnsureJobRun(*transaction, job);
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(first->run_id.size(), 32u);
  EXPECT_EQ(first->run_id, second->run_id);
  EXPECT_EQ(first->experiment_name, "digits");
  EXPECT_EQ(first->job_name, "train-1");
  EXPECT_EQ(first->run_name, "train-1");
  EXPECT_EQ(first->status, RunStatus::kScheduled);
  absl::StatusOr<Experiment> experiment = GetExperimentByName(*transaction, "digits");
  ASSERT_TRUE(experiment.ok());
  EXPECT_EQ(experiment->id, first->experiment_id);
}

TEST_F(TrackingStoreTest, JobWithoutExperimentUsesDefault) {
  TrackingRun run = SubmitWithRun("train-1");
  EXPECT_EQ(run.experiment_id, kDefaultExperimentId);
}

TEST_F(TrackingStoreTest, GetRunForJobCreatesRunOnce) {
  JobRecord job = Submit("train-1");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<TrackingRun> run = GetRunForJob(*transaction, job.id);
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<TrackingRun> again = GetRunById(*transaction, run->run_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->job_id, job.id);

  EXPECT_TRUE(absl::IsNotFound(
      GetRunForJob(*transaction, "/resourceGroups/rg/workspaces/ws/jobs/missing").status()));
}

TEST_F(TrackingStoreTest, UnknownRunIdIsNotFound) {
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<TrackingRun> run = GetRunById(*transaction, "ffffffffffffffffffffffffffffffff");
  EXPECT_TRUE(absl::IsNotFound(run.status()));
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("'ffffffffffffffffffffffffffffffff'"));
}

TEST_F(TrackingStoreTest, RunStatusFollowsJob) {
  TrackingRun run = SubmitWithRun("train-1");
  Notifier notifier;
  JobStatusUpdate update;
  update.job_id = run.job_id;
  update.time_millis = 5000;
  for (api::JobStatus status : {api::JobStatus::kPreparing, api::JobStatus::kStarting,
                                api::JobStatus::kRunning}) {
    update.status = status;
    absl::StatusOr<bool> moved = AppendJobStatus(*database_, notifier, update);
    ASSERT_TRUE(moved.ok()) << moved.status();
  }
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    absl::StatusOr<TrackingRun> running = GetRunById(*transaction, run.run_id);
    ASSERT_TRUE(running.ok());
    EXPECT_EQ(running->status, RunStatus::kRunning);
    EXPECT_EQ(running->start_time, 5000);

    // MLflow's end_run reports FINISHED before the job itself ends.
    RunUpdate finished{RunStatus::kFinished, 6000, std::nullopt};
    absl::StatusOr<TrackingRun> updated = UpdateRun(*transaction, *running, finished);
    ASSERT_TRUE(updated.ok()) << updated.status();
    EXPECT_EQ(updated->status, RunStatus::kFinished);
    EXPECT_EQ(updated->end_time, 6000);
    ASSERT_TRUE(transaction->Commit().ok());
  }

  update.status = api::JobStatus::kFailed;
  update.time_millis = 7000;
  ASSERT_TRUE(AppendJobStatus(*database_, notifier, update).ok());
  auto read = database_->BeginRead();
  ASSERT_TRUE(read.ok());
  absl::StatusOr<TrackingRun> failed = GetRunById(*read, run.run_id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, RunStatus::kFailed);
  EXPECT_EQ(failed->end_time, 7000);
}

TEST_F(TrackingStoreTest, ScriptRunLivesInWorkspace) {
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  ScriptRunRequest request;
  request.resource_group = "rg";
  request.workspace = "ws";
  request.user_id = "ana";
  request.start_time = 1234;
  request.tags = {{"mlflow.source.name", "train.py"}};
  absl::StatusOr<TrackingRun> run = CreateScriptRun(*transaction, request);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->job_id.empty());
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_EQ(run->start_time, 1234);
  EXPECT_EQ(run->run_name, run->run_id.substr(0, 8));

  absl::StatusOr<std::vector<TrackingRun>> listed =
      ListRuns(*transaction, RunQuery{{}, "rg", "ws"});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].run_id, run->run_id);

  request.experiment_id = 42;
  EXPECT_TRUE(absl::IsNotFound(CreateScriptRun(*transaction, request).status()));
}

TEST_F(TrackingStoreTest, ListRunsFiltersByExperiment) {
  TrackingRun digits = SubmitWithRun("a", "digits");
  SubmitWithRun("b", "other");
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<std::vector<TrackingRun>> runs =
      ListRuns(*transaction, RunQuery{{digits.experiment_id}, "", ""});
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].job_name, "a");
}

TEST_F(TrackingStoreTest, ExperimentNamesAreUnique) {
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<int64_t> id = CreateExperiment(*transaction, "digits", "", {{"team", "ml"}});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<int64_t> again = CreateExperiment(*transaction, "digits", "", {});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorField(again.status()), "name");
  EXPECT_EQ(CreateExperiment(*transaction, "", "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<Experiment> experiment = GetExperiment(*transaction, *id);
  ASSERT_TRUE(experiment.ok());
  ASSERT_EQ(experiment->tags.size(), 1u);
  EXPECT_EQ(experiment->tags[0].value, "ml");
  absl::StatusOr<std::vector<Experiment>> all = ListExperiments(*transaction);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(TrackingStoreTest, JobTokensResolveToTheirRun) {
  TrackingRun run = SubmitWithRun("train-1");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<std::string> token = IssueJobToken(*transaction, run.key);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(token->starts_with("tyjob_"));
  EXPECT_EQ(token->size(), 6u + 64u);

  absl::StatusOr<std::optional<std::string>> found = FindJobTokenRun(*transaction, *token);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, run.run_id);
  EXPECT_EQ(*FindJobTokenRun(*transaction, "tyjob_" + std::string(64, '0')), std::nullopt);
  EXPECT_EQ(*FindJobTokenRun(*transaction, "admin-token"), std::nullopt);

  ASSERT_TRUE(RevokeJobTokens(*transaction, run.key).ok());
  EXPECT_EQ(*FindJobTokenRun(*transaction, *token), std::nullopt);
}

TEST_F(TrackingStoreTest, TokenIsStoredHashed) {
  TrackingRun run = SubmitWithRun("train-1");
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<std::string> token = IssueJobToken(*transaction, run.key);
  ASSERT_TRUE(token.ok());
  auto rows = transaction->Query("SELECT count(*) FROM job_tokens WHERE token_sha256 = ?1",
                                 *token);
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(*rows->Step());
  EXPECT_EQ(rows->Int(0), 0);
}

}  // namespace
}  // namespace ty::store
