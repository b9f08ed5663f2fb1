#include "store/metric_blocks.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <tuple>

#include "common/status_macros.h"

namespace ty::store {
namespace {

// Blobs are written with memcpy, so they are little-endian only where the
// host is.
static_assert(std::endian::native == std::endian::little,
              "metric blocks are packed little-endian with memcpy");

constexpr size_t kPackedPointBytes = 24;

auto SortKey(const SequencedPoint& point) {
  return std::tie(point.step, point.timestamp, point.sequence);
}

}  // namespace

Migration MetricBlocksMigration() {
  // SQL cannot pack the points of tracking_metric_points into blobs, so the
  // points that development builds stored there before this migration are
  // dropped, with the summaries and batch ids that counted them.
  return {"tracking_0002_metric_blocks", R"sql(
DROP TABLE tracking_metric_points;
DELETE FROM tracking_metrics;
DELETE FROM tracking_batches;
CREATE TABLE tracking_metric_blocks (
  metric_key INTEGER NOT NULL REFERENCES tracking_metrics(metric_key) ON DELETE CASCADE,
  first_sequence INTEGER NOT NULL,
  point_count INTEGER NOT NULL,
  min_step INTEGER NOT NULL,
  max_step INTEGER NOT NULL,
  points BLOB NOT NULL,
  PRIMARY KEY (metric_key, first_sequence)
) WITHOUT ROWID;
)sql"};
}

std::string PackPoints(const std::vector<const api::MetricPoint*>& points) {
  std::string blob(points.size() * kPackedPointBytes, '\0');
  char* out = blob.data();
  for (const api::MetricPoint* point : points) {
    std::memcpy(out, &point->step, 8);
    std::memcpy(out + 8, &point->timestamp, 8);
    std::memcpy(out + 16, &point->value, 8);
    out += kPackedPointBytes;
  }
  return blob;
}

void UnpackPoints(std::string_view blob, int64_t first_sequence,
                  std::vector<SequencedPoint>& out) {
  size_t count = blob.size() / kPackedPointBytes;
  const char* in = blob.data();
  for (size_t i = 0; i < count; ++i) {
    SequencedPoint point;
    std::memcpy(&point.step, in, 8);
    std::memcpy(&point.timestamp, in + 8, 8);
    std::memcpy(&point.value, in + 16, 8);
    point.sequence = first_sequence + static_cast<int64_t>(i);
    out.push_back(point);
    in += kPackedPointBytes;
  }
}

absl::Status InsertBlock(Transaction& transaction, int64_t metric_key, int64_t first_sequence,
                         const std::vector<const api::MetricPoint*>& points) {
  auto [min, max] = std::minmax_element(
      points.begin(), points.end(),
      [](const api::MetricPoint* a, const api::MetricPoint* b) { return a->step < b->step; });
  // Statement has no blob binding; CAST keeps the bytes of the bound text.
  return transaction.Execute(
      "INSERT INTO tracking_metric_blocks (metric_key, first_sequence, point_count, min_step, "
      "max_step, points) VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS BLOB))",
      metric_key, first_sequence, static_cast<int64_t>(points.size()), (*min)->step,
      (*max)->step, PackPoints(points));
}

absl::StatusOr<std::vector<SequencedPoint>> ReadPointsAfter(Transaction& transaction,
                                                            int64_t metric_key,
                                                            const SequencedPoint& after,
                                                            size_t limit) {
  // Blocks that end before `after.step` hold nothing later; the rest are
  // decoded and the smallest `limit` points after `after` kept.
  ASSIGN_OR_RETURN(Statement blocks,
                   transaction.Query("SELECT first_sequence, points FROM tracking_metric_blocks "
                                     "WHERE metric_key = ?1 AND max_step >= ?2",
                                     metric_key, after.step));
  std::vector<SequencedPoint> points;
  std::vector<SequencedPoint> block;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, blocks.Step());
    if (!has_row) break;
    block.clear();
    std::string blob = blocks.Text(1);
    UnpackPoints(blob, blocks.Int(0), block);
    for (const SequencedPoint& point : block) {
      if (SortKey(point) > SortKey(after)) points.push_back(point);
    }
  }
  auto before = [](const SequencedPoint& a, const SequencedPoint& b) {
    return SortKey(a) < SortKey(b);
  };
  if (points.size() > limit) {
    std::nth_element(points.begin(), points.begin() + limit, points.end(), before);
    points.resize(limit);
  }
  std::sort(points.begin(), points.end(), before);
  return points;
}

}  // namespace ty::store
