#include "server/metric_downsample.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace ty::server {
namespace {

int64_t XOf(const api::MetricPoint& point, SeriesAxis axis) {
  return axis == SeriesAxis::kStep ? point.step : point.timestamp;
}

}  // namespace

Series Downsample(std::vector<api::MetricPoint> points, const DownsampleRequest& request) {
  SeriesAxis axis = request.axis;
  std::erase_if(points, [&](const api::MetricPoint& point) {
    int64_t x = XOf(point, axis);
    return (request.from && x < *request.from) || (request.to && x > *request.to);
  });
  // std::stable_sort keeps the logging order of points with equal x.
  std::stable_sort(points.begin(), points.end(),
                   [axis](const api::MetricPoint& a, const api::MetricPoint& b) {
                     return std::make_tuple(XOf(a, axis), a.step, a.timestamp) <
                            std::make_tuple(XOf(b, axis), b.step, b.timestamp);
                   });

  Series series;
  series.total = static_cast<int64_t>(points.size());
  size_t buckets = static_cast<size_t>(std::max(request.buckets, 1));
  if (points.size() <= 4 * buckets) {
    for (const api::MetricPoint& point : points) {
      series.x.push_back(XOf(point, axis));
      series.y.push_back(point.value);
    }
    return series;
  }

  series.downsampled = true;
  // Bucket positions are computed in long double: the x range may span the
  // whole int64 range, which a difference of int64 values would overflow.
  long double first_x = XOf(points.front(), axis);
  long double span = static_cast<long double>(XOf(points.back(), axis)) - first_x;
  auto bucket_of = [&](const api::MetricPoint& point) -> size_t {
    if (span <= 0) return 0;
    long double position = (XOf(point, axis) - first_x) / span * buckets;
    return std::min(static_cast<size_t>(position), buckets - 1);
  };

  size_t begin = 0;
  std::vector<size_t> chosen;
  while (begin < points.size()) {
    size_t bucket = bucket_of(points[begin]);
    size_t end = begin;
    std::optional<size_t> first, lowest, highest, last;
    while (end < points.size() && bucket_of(points[end]) == bucket) {
      if (std::isfinite(points[end].value)) {
        if (!first) first = end;
        if (!lowest || points[end].value < points[*lowest].value) lowest = end;
        if (!highest || points[end].value > points[*highest].value) highest = end;
        last = end;
      }
      ++end;
    }
    if (first) {
      chosen = {*first, *lowest, *highest, *last};
      std::sort(chosen.begin(), chosen.end());
      chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
      for (size_t index : chosen) {
        series.x.push_back(XOf(points[index], axis));
        series.y.push_back(points[index].value);
      }
    }
    begin = end;
  }
  return series;
}

}  // namespace ty::server
