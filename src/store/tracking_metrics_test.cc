#include "store/tracking_metrics.h"

#include <cmath>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.h"
#include "store/metric_blocks.h"
#include "store/tracking_test_fixture.h"

namespace ty::store {
namespace {

using ::testing::HasSubstr;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

class TrackingMetricsTest : public TrackingStoreTest {
 protected:
  void SetUp() override {
    TrackingStoreTest::SetUp();
    run_ = SubmitWithRun("train-1");
  }

  absl::StatusOr<BatchResult> Log(const api::TrackingBatch& batch) {
    auto transaction = database_->Begin();
    if (!transaction.ok()) return transaction.status();
    absl::StatusOr<BatchResult> result = LogBatch(*transaction, run_.key, batch);
    if (result.ok()) {
      absl::Status committed = transaction->Commit();
      if (!committed.ok()) return committed;
    }
    return result;
  }

  MetricSummary Summary(std::string_view name) {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    absl::StatusOr<MetricSummary> summary = GetMetricSummary(*transaction, run_.key, name);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : MetricSummary{};
  }

  std::vector<api::MetricPoint> History(std::string_view name) {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    absl::StatusOr<MetricHistoryPage> page = GetMetricHistory(*transaction, run_.key, name, "", 25000);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->points : std::vector<api::MetricPoint>{};
  }

  TrackingRun run_;
};

api::TrackingBatch Points(std::string_view name, std::vector<double> values, int64_t first_step = 0) {
  api::TrackingBatch batch;
  for (size_t i = 0; i < values.size(); ++i) {
    batch.metrics.push_back({std::string(name), values[i], first_step + static_cast<int64_t>(i),
                             1000 + static_cast<int64_t>(i)});
  }
  return batch;
}

TEST_F(TrackingMetricsTest, SummaryTracksCountMinMaxLatest) {
  ASSERT_TRUE(Log(Points("loss", {2.0, 0.5, 1.0})).ok());
  ASSERT_TRUE(Log(Points("loss", {0.25}, 10)).ok());

  MetricSummary summary = Summary("loss");
  EXPECT_EQ(summary.count, 4);
  EXPECT_EQ(summary.min, 0.25);
  EXPECT_EQ(summary.max, 2.0);
  EXPECT_EQ(summary.latest.step, 10);
  EXPECT_EQ(summary.latest.value, 0.25);
}

TEST_F(TrackingMetricsTest, LatestIsHighestStepNotLastLogged) {
  ASSERT_TRUE(Log(Points("loss", {1.0}, 5)).ok());
  ASSERT_TRUE(Log(Points("loss", {9.0}, 2)).ok());
  EXPECT_EQ(Summary("loss").latest.step, 5);
  EXPECT_EQ(Summary("loss").latest.value, 1.0);
}

TEST_F(TrackingMetricsTest, NanAndInfinitiesRoundTrip) {
  ASSERT_TRUE(Log(Points("v", {std::nan(""), kInfinity, -kInfinity, 3.0})).ok());

  std::vector<api::MetricPoint> history = History("v");
  ASSERT_EQ(history.size(), 4u);
  EXPECT_TRUE(std::isnan(history[0].value));
  EXPECT_EQ(history[1].value, kInfinity);
  EXPECT_EQ(history[2].value, -kInfinity);
  EXPECT_EQ(history[3].value, 3.0);
  MetricSummary summary = Summary("v");
  EXPECT_EQ(summary.min, -kInfinity);
  EXPECT_EQ(summary.max, kInfinity);
}

TEST_F(TrackingMetricsTest, AllNanHasNoMinMax) {
  ASSERT_TRUE(Log(Points("v", {std::nan(""), std::nan("")})).ok());
  MetricSummary summary = Summary("v");
  EXPECT_EQ(summary.count, 2);
  EXPECT_FALSE(summary.min.has_value());
  EXPECT_FALSE(summary.max.has_value());
  EXPECT_TRUE(std::isnan(summary.latest.value));
}

TEST_F(TrackingMetricsTest, HugeStepStoredExactly) {
  int64_t step = int64_t{1} << 62;
  api::TrackingBatch batch;
  batch.metrics.push_back({"loss", 1.0, step, 5});
  batch.metrics.push_back({"loss", 2.0, std::numeric_limits<int64_t>::min(), 5});
  ASSERT_TRUE(Log(batch).ok());
  std::vector<api::MetricPoint> history = History("loss");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].step, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(history[1].step, step);
  EXPECT_EQ(Summary("loss").latest.step, step);
}

TEST_F(TrackingMetricsTest, DuplicatePointsAreKept) {
  api::TrackingBatch batch;
  batch.metrics.push_back({"loss", 1.0, 1, 5});
  batch.metrics.push_back({"loss", 1.0, 1, 5});
  ASSERT_TRUE(Log(batch).ok());
  EXPECT_EQ(History("loss").size(), 2u);
}

TEST_F(TrackingMetricsTest, HistoryPagesInStepOrder) {
  std::vector<double> values(25);
  for (int i = 0; i < 25; ++i) values[i] = i;
  ASSERT_TRUE(Log(Points("loss", values)).ok());

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  std::vector<int64_t> steps;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<MetricHistoryPage> page = GetMetricHistory(*transaction, run_.key, "loss", token, 10);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const api::MetricPoint& point : page->points) steps.push_back(point.step);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(steps.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(steps[i], i);

  absl::StatusOr<MetricHistoryPage> bad = GetMetricHistory(*transaction, run_.key, "loss", "zz", 10);
  EXPECT_EQ(ErrorField(bad.status()), "pageToken");
}

TEST_F(TrackingMetricsTest, HistoryMergesBlocksInStepOrder) {
  ASSERT_TRUE(Log(Points("loss", {10, 11, 12, 13, 14}, 10)).ok());
  ASSERT_TRUE(Log(Points("loss", {0, 1, 2, 3, 4}, 0)).ok());
  ASSERT_TRUE(Log(Points("loss", {5, 6}, 5)).ok());

  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  std::vector<int64_t> steps;
  std::string token;
  do {
    absl::StatusOr<MetricHistoryPage> page = GetMetricHistory(*transaction, run_.key, "loss", token, 4);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const api::MetricPoint& point : page->points) {
      EXPECT_EQ(point.value, static_cast<double>(point.step));
      steps.push_back(point.step);
    }
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14}));
}

// Verifies that the blocks migration leaves a store written by the first
// tracking schema consistent: its points and summaries go, params stay.
TEST(MetricBlocksMigrationTest, DropsRowsOfFirstSchema) {
  TempDir dir;
  std::string path = (dir.path() / "old.db").string();

  {
    auto database = Database::Open(path);
    ASSERT_TRUE(database.ok());
    MigrationSet old_schema;
    old_schema.Add(ResourceMigrations());
    old_schema.Add(JobMigrations());
    std::vector<Migration> tracking = TrackingMigrations();
    tracking.pop_back();  // only tracking_0001_create
    old_schema.Add(tracking);
    ASSERT_TRUE(old_schema.Apply(**database).ok());

    auto transaction = (*database)->Begin();
    ASSERT_TRUE(transaction->ExecuteScript(
        "INSERT INTO tracking_runs (run_id, experiment_id, resource_group, workspace, run_name, "
        "created_at) VALUES ('r', 0, 'rg', 'ws', 'r', 0);"
        "INSERT INTO tracking_metrics VALUES (1, 1, 'loss', 1, 0.5, 0.5, 0, 0, 0.5);"
        "INSERT INTO tracking_metric_points VALUES (1, 0, 0, 0, 0.5);"
        "INSERT INTO tracking_params VALUES (1, 'lr', '0.1');").ok());
    ASSERT_TRUE(transaction->Commit().ok());
  }

  auto reopened = OpenStore(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto transaction = (*reopened)->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<MetricSummaryPage> metrics = ListMetricSummaries(*transaction, 1, "", 10);
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(metrics->items.empty());
  absl::StatusOr<std::vector<api::TrackingEntry>> params = ListParams(*transaction, 1);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->size(), 1u);
}

TEST_F(TrackingMetricsTest, TenThousandMetricNames) {
  for (int batch_number = 0; batch_number < 10; ++batch_number) {
    api::TrackingBatch batch;
    for (int i = 0; i < 1000; ++i) {
      batch.metrics.push_back({"layer/" + std::to_string(batch_number * 1000 + i) + "/grad norm",
                               1.0 * i, 0, 1});
    }
    ASSERT_TRUE(Log(batch).ok());
  }
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  size_t total = 0;
  std::string token;
  do {
    absl::StatusOr<MetricSummaryPage> page = ListMetricSummaries(*transaction, run_.key, token, 1000);
    ASSERT_TRUE(page.ok()) << page.status();
    total += page->items.size();
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(total, 10000u);
}

TEST_F(TrackingMetricsTest, ParamsKeepFirstValue) {
  api::TrackingBatch batch;
  batch.params = {{"lr", "0.1"}};
  ASSERT_TRUE(Log(batch).ok());
  ASSERT_TRUE(Log(batch).ok());  // the same value again is accepted

  batch.params = {{"lr", "0.2"}};
  batch.metrics.push_back({"loss", 1.0, 0, 1});
  absl::StatusOr<BatchResult> conflict = Log(batch);
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(conflict.status().message()), HasSubstr("already has value '0.1'"));
  EXPECT_EQ(History("loss").size(), 0u);  // nothing of the rejected batch was stored
}

TEST_F(TrackingMetricsTest, TagsTakeLastValue) {
  api::TrackingBatch batch;
  batch.tags = {{"phase", "warmup"}, {"phase", "train"}};
  ASSERT_TRUE(Log(batch).ok());
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<std::vector<api::TrackingEntry>> tags = ListTags(*transaction, run_.key);
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].value, "train");
}

TEST_F(TrackingMetricsTest, RepeatedBatchIdStoresOnce) {
  api::TrackingBatch batch = Points("loss", {1.0, 2.0});
  batch.batch_id = "retry-1";
  absl::StatusOr<BatchResult> first = Log(batch);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  absl::StatusOr<BatchResult> second = Log(batch);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->metrics, 2);
  EXPECT_EQ(History("loss").size(), 2u);
}

TEST_F(TrackingMetricsTest, UnknownMetricSummaryIsNotFound) {
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  absl::StatusOr<MetricSummary> summary = GetMetricSummary(*transaction, run_.key, "nope");
  EXPECT_TRUE(absl::IsNotFound(summary.status()));
  EXPECT_THAT(std::string(summary.status().message()), HasSubstr("'nope'"));
}

}  // namespace
}  // namespace ty::store
