#pragma once

// Reduces a metric's points to what a chart of a given width can show. The
// x range is cut into equal buckets and each bucket keeps its first, lowest,
// highest and last point (the "M4" reduction), so the drawn line has the
// same extremes and ends as the full series, whatever its length.

#include <cstdint>
#include <optional>
#include <vector>

#include "api/tracking.h"

namespace ty::server {

enum class SeriesAxis { kStep, kTime };

struct DownsampleRequest {
  SeriesAxis axis = SeriesAxis::kStep;
  int buckets = 1000;           // at least 1
  std::optional<int64_t> from;  // inclusive x bounds; unset: unbounded
  std::optional<int64_t> to;
};

struct Series {
  std::vector<int64_t> x;  // step, or timestamp in milliseconds; ascending
  // Values in the order of `x`. NaN and infinities stay in an undownsampled
  // series (the chart draws a gap) and are left out of a downsampled one.
  std::vector<double> y;
  int64_t total = 0;        // points within [from, to] before reduction
  bool downsampled = false;  // false: every point in range is present
};

// Returns the points of `points` (any order) within the request's range,
// ordered by x then step, reduced to at most 4 * buckets points when there
// are more than that.
Series Downsample(std::vector<api::MetricPoint> points, const DownsampleRequest& request);

}  // namespace ty::server
