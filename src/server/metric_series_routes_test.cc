// GET .../metricSeries through a real server on loopback.

#include <gtest/gtest.h>

#include "server/tracking_test_server.h"

namespace ty::server {
namespace {

using json = nlohmann::json;

class MetricSeriesRoutesTest : public TrackingServerTest {
 protected:
  void SetUp() override {
    TrackingServerTest::SetUp();
    run_ = SubmitJob("train-1");
  }

  // Logs `count` points of metric `name` in batches of 1000.
  void LogPoints(const std::string& name, int count) {
    for (int first = 0; first < count; first += 1000) {
      json metrics = json::array();
      for (int step = first; step < std::min(count, first + 1000); ++step) {
        metrics.push_back({{"name", name}, {"value", step % 7 == 0 ? -step : step},
                           {"step", step}, {"timestamp", 5000 + step}});
      }
      ASSERT_EQ(Call("POST", RunPath(run_) + "/metrics/batch", json{{"metrics", metrics}}).status,
                200);
    }
  }

  store::TrackingRun run_;
};

TEST_F(MetricSeriesRoutesTest, DownsamplesLongSeries) {
  LogPoints("train/loss", 20000);
  CallResult series =
      Call("GET", JobPath("train-1") + "/metricSeries?name=train%2Floss&buckets=100");
  ASSERT_EQ(series.status, 200) << series.body;
  EXPECT_EQ(series.body["name"], "train/loss");
  EXPECT_EQ(series.body["x"], "step");
  EXPECT_EQ(series.body["total"], 20000);
  EXPECT_EQ(series.body["downsampled"], true);
  const json& x = series.body["points"]["x"];
  const json& y = series.body["points"]["y"];
  ASSERT_EQ(x.size(), y.size());
  EXPECT_LE(x.size(), 400u);
  EXPECT_EQ(x.front(), 0);
  EXPECT_EQ(x.back(), 19999);
  double lowest = 0;
  for (const json& value : y) lowest = std::min(lowest, value.get<double>());
  EXPECT_EQ(lowest, -19999) << "the lowest point, step 19999 (a multiple of 7), must survive";
}

TEST_F(MetricSeriesRoutesTest, ShortSeriesOverTimeRange) {
  LogPoints("acc", 50);
  CallResult series =
      Call("GET", RunPath(run_) + "/metricSeries?name=acc&x=time&from=5010&to=5019");
  ASSERT_EQ(series.status, 200) << series.body;
  EXPECT_EQ(series.body["x"], "time");
  EXPECT_EQ(series.body["total"], 10);
  EXPECT_EQ(series.body["downsampled"], false);
  EXPECT_EQ(series.body["points"]["x"].front(), 5010);
  EXPECT_EQ(series.body["points"]["y"].front(), 10);
}

TEST_F(MetricSeriesRoutesTest, BadQueriesNameTheField) {
  LogPoints("acc", 5);
  struct Case {
    std::string query;
    int status;
    std::string field;
  };
  for (const Case& bad : std::vector<Case>{{"", 400, "name"},
                                           {"name=acc&x=epoch", 400, "x"},
                                           {"name=acc&buckets=0", 400, "buckets"},
                                           {"name=acc&buckets=10001", 400, "buckets"},
                                           {"name=acc&from=9&to=1", 400, "from"},
                                           {"name=acc&to=soon", 400, "to"},
                                           {"name=a%2F%2Fb", 400, "name"}}) {
    CallResult result = Call("GET", RunPath(run_) + "/metricSeries?" + bad.query);
    EXPECT_EQ(result.status, bad.status) << bad.query << ": " << result.body;
    EXPECT_EQ(result.body["error"].value("field", ""), bad.field) << bad.query;
  }
  CallResult unknown = Call("GET", RunPath(run_) + "/metricSeries?name=missing");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Call("GET", JobPath("nope") + "/metricSeries?name=acc").status, 404);
  EXPECT_EQ(Call("GET", RunPath(run_) + "/metricSeries?name=acc", {}, "wrong").status, 401);
}

}  // namespace
}  // namespace ty::server
