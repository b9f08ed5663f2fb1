#include "server/metric_downsample.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace ty::server {
namespace {

std::vector<api::MetricPoint> Wave(int64_t count) {
  std::vector<api::MetricPoint> points;
  for (int64_t step = 0; step < count; ++step) {
    points.push_back({"loss", std::sin(step / 100.0) + (step == 123457 ? 50.0 : 0.0), step,
                      1000000 - step});
  }
  return points;
}

TEST(DownsampleTest, SmallSeriesIsReturnedWhole) {
  std::vector<api::MetricPoint> points = {{"m", 3, 2, 20}, {"m", 1, 0, 10}, {"m", 2, 1, 30}};
  Series series = Downsample(points, {.buckets = 10});
  EXPECT_FALSE(series.downsampled);
  EXPECT_EQ(series.total, 3);
  EXPECT_EQ(series.x, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(series.y, (std::vector<double>{1, 2, 3}));
}

// Verifies that a million points shrink to at most four per bucket and that
// the reduced series keeps the global extremes, a single spike included, and
// both ends.
TEST(DownsampleTest, MillionPointsKeepExtremesAndEnds) {
  std::vector<api::MetricPoint> points = Wave(1000000);
  Series series = Downsample(points, {.buckets = 500});
  EXPECT_TRUE(series.downsampled);
  EXPECT_EQ(series.total, 1000000);
  EXPECT_LE(series.x.size(), 2000u);
  EXPECT_GE(series.x.size(), 1000u);
  ASSERT_EQ(series.x.size(), series.y.size());
  EXPECT_EQ(series.x.front(), 0);
  EXPECT_EQ(series.x.back(), 999999);
  EXPECT_TRUE(std::is_sorted(series.x.begin(), series.x.end()));
  EXPECT_DOUBLE_EQ(*std::max_element(series.y.begin(), series.y.end()),
                   std::sin(123457 / 100.0) + 50.0);
  EXPECT_LE(*std::min_element(series.y.begin(), series.y.end()), -0.9999);
}

TEST(DownsampleTest, RangeLimitsPointsBeforeReduction) {
  Series series = Downsample(Wave(10000), {.buckets = 1000, .from = 100, .to = 199});
  EXPECT_FALSE(series.downsampled);
  EXPECT_EQ(series.total, 100);
  EXPECT_EQ(series.x.front(), 100);
  EXPECT_EQ(series.x.back(), 199);
}

TEST(DownsampleTest, TimeAxisOrdersByTimestamp) {
  Series series = Downsample(Wave(5), {.axis = SeriesAxis::kTime, .buckets = 10});
  EXPECT_EQ(series.x, (std::vector<int64_t>{999996, 999997, 999998, 999999, 1000000}));
  EXPECT_DOUBLE_EQ(series.y.front(), std::sin(4 / 100.0));
}

TEST(DownsampleTest, NonFiniteValuesStayOnlyWhenNotReduced) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<api::MetricPoint> few = {{"m", 1, 0, 0}, {"m", nan, 1, 0}, {"m", 2, 2, 0}};
  Series whole = Downsample(few, {.buckets = 10});
  ASSERT_EQ(whole.y.size(), 3u);
  EXPECT_TRUE(std::isnan(whole.y[1]));

  std::vector<api::MetricPoint> many = Wave(1000);
  for (size_t i = 0; i < many.size(); i += 3) many[i].value = nan;
  many[10].value = std::numeric_limits<double>::infinity();
  Series reduced = Downsample(many, {.buckets = 10});
  ASSERT_TRUE(reduced.downsampled);
  for (double value : reduced.y) EXPECT_TRUE(std::isfinite(value));
}

TEST(DownsampleTest, ExtremeStepsDoNotOverflow) {
  std::vector<api::MetricPoint> points;
  for (int i = 0; i < 100; ++i) {
    points.push_back({"m", static_cast<double>(i), std::numeric_limits<int64_t>::min() + i, 0});
    points.push_back({"m", static_cast<double>(-i), std::numeric_limits<int64_t>::max() - i, 0});
  }
  Series series = Downsample(points, {.buckets = 4});
  EXPECT_TRUE(series.downsampled);
  EXPECT_EQ(series.x.front(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(series.x.back(), std::numeric_limits<int64_t>::max());
  EXPECT_LE(series.x.size(), 16u);
}

}  // namespace
}  // namespace ty::server
