#pragma once

// Storage of metric points in blocks. A block is one row of
// tracking_metric_blocks with the points that one batch logged for one
// metric, packed as a blob. Storing a batch of 1000 points so costs one
// B-tree insert per metric name in it rather than one per point. Points are
// numbered per metric in logging order ("sequence"); a block holds the
// points from first_sequence on.
//
// A packed point is 24 bytes: step (int64), timestamp (int64) and value
// (IEEE 754 double), each little-endian. The blob keeps the value's bits,
// so NaN and infinities are stored exactly.
//
// Used by tracking_metrics.cc; callers go through tracking_metrics.h.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/tracking.h"
#include "store/database.h"
#include "store/migrations.h"

namespace ty::store {

// A point with its position in the metric's logging order.
struct SequencedPoint {
  int64_t step = 0;
  int64_t timestamp = 0;
  int64_t sequence = 0;
  double value = 0;
};

// The migration that moves points into blocks.
Migration MetricBlocksMigration();

// Packs `points` (in logging order) into one blob.
std::string PackPoints(const std::vector<const api::MetricPoint*>& points);

// Unpacks a blob written by PackPoints; the first point gets
// `first_sequence`. A blob whose size is not a multiple of 24 bytes is
// truncated to whole points.
void UnpackPoints(std::string_view blob, int64_t first_sequence,
                  std::vector<SequencedPoint>& out);

// Inserts one block of the metric with key `metric_key`.
absl::Status InsertBlock(Transaction& transaction, int64_t metric_key, int64_t first_sequence,
                         const std::vector<const api::MetricPoint*>& points);

// Returns the metric's points after (step, timestamp, sequence) `after`,
// ordered by step, timestamp and sequence, at most `limit` of them.
absl::StatusOr<std::vector<SequencedPoint>> ReadPointsAfter(Transaction& transaction,
                                                            int64_t metric_key,
                                                            const SequencedPoint& after,
                                                            size_t limit);

}  // namespace ty::store
