#include "store/tracking_metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "store/metric_blocks.h"
#include "store/resources.h"

namespace ty::store {
namespace {

// The summary row of one metric name while a batch is applied.
struct MetricState {
  int64_t key = 0;
  int64_t count = 0;
  std::optional<double> min;
  std::optional<double> max;
  int64_t latest_step = 0;
  int64_t latest_timestamp = 0;
  double latest_value = 0;
};

std::optional<double> NullIfNan(double value) {
  if (std::isnan(value)) return std::nullopt;
  return value;
}

double NanIfNull(const Statement& row, int column) {
  return row.IsNull(column) ? std::numeric_limits<double>::quiet_NaN() : row.Double(column);
}

std::optional<double> OptionalDouble(const Statement& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return row.Double(column);
}

// Folds `point` into `state`, which counts it.
void Accumulate(MetricState& state, const api::MetricPoint& point) {
  bool later = state.count == 0 || point.step > state.latest_step ||
               (point.step == state.latest_step && point.timestamp >= state.latest_timestamp);
  if (later) {
    state.latest_step = point.step;
    state.latest_timestamp = point.timestamp;
    state.latest_value = point.value;
  }
  if (!std::isnan(point.value)) {
    state.min = state.min ? std::min(*state.min, point.value) : point.value;
    state.max = state.max ? std::max(*state.max, point.value) : point.value;
  }
  ++state.count;
}

absl::StatusOr<MetricState> LoadOrCreateMetric(Transaction& transaction, int64_t run_key,
                                               std::string_view name) {
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query("SELECT metric_key, point_count, min_value, max_value, "
                                     "latest_step, latest_timestamp, latest_value FROM "
                                     "tracking_metrics WHERE run_key = ?1 AND name = ?2",
                                     run_key, name));
  ASSIGN_OR_RETURN(bool exists, row.Step());
  MetricState state;
  if (exists) {
    state.key = row.Int(0);
    state.count = row.Int(1);
    state.min = OptionalDouble(row, 2);
    state.max = OptionalDouble(row, 3);
    state.latest_step = row.Int(4);
    state.latest_timestamp = row.Int(5);
    state.latest_value = NanIfNull(row, 6);
    return state;
  }
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO tracking_metrics (run_key, name, point_count, latest_step, latest_timestamp) "
      "VALUES (?1, ?2, 0, 0, 0)",
      run_key, name));
  state.key = transaction.LastInsertRowId();
  return state;
}

// Stores each metric's points of the batch as one block and updates the
// metric's summary row.
absl::Status StorePoints(Transaction& transaction, int64_t run_key,
                         const std::vector<api::MetricPoint>& points) {
  std::unordered_map<std::string_view, size_t> state_index;
  std::vector<MetricState> states;
  std::vector<std::vector<const api::MetricPoint*>> blocks;
  for (const api::MetricPoint& point : points) {
    auto [it, inserted] = state_index.try_emplace(point.name, states.size());
    if (inserted) {
      ASSIGN_OR_RETURN(MetricState state, LoadOrCreateMetric(transaction, run_key, point.name));
      states.push_back(state);
      blocks.emplace_back();
    }
    blocks[it->second].push_back(&point);
  }

  for (size_t i = 0; i < states.size(); ++i) {
    MetricState& state = states[i];
    int64_t first_sequence = state.count;
    for (const api::MetricPoint* point : blocks[i]) Accumulate(state, *point);
    RETURN_IF_ERROR(InsertBlock(transaction, state.key, first_sequence, blocks[i]));
    RETURN_IF_ERROR(transaction.Execute(
        "UPDATE tracking_metrics SET point_count = ?2, min_value = ?3, max_value = ?4, "
        "latest_step = ?5, latest_timestamp = ?6, latest_value = ?7 WHERE metric_key = ?1",
        state.key, state.count, state.min, state.max, state.latest_step, state.latest_timestamp,
        NullIfNan(state.latest_value)));
  }
  return absl::OkStatus();
}

absl::Status StoreParams(Transaction& transaction, int64_t run_key,
                         const std::vector<api::TrackingEntry>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const api::TrackingEntry& param = params[i];
    ASSIGN_OR_RETURN(Statement existing,
                     transaction.Query("SELECT value FROM tracking_params WHERE run_key = ?1 AND "
                                       "name = ?2",
                                       run_key, param.name));
    ASSIGN_OR_RETURN(bool exists, existing.Step());
    if (!exists) {
      RETURN_IF_ERROR(transaction.Execute(
          "INSERT INTO tracking_params (run_key, name, value) VALUES (?1, ?2, ?3)", run_key,
          param.name, param.value));
      continue;
    }
    std::string stored = existing.Text(0);
    if (stored != param.value) {
      return FieldError(absl::StatusCode::kAlreadyExists, fmt::format("params[{}].value", i),
                        fmt::format("param '{}' already has value '{}', so '{}' was rejected: "
                                    "params cannot change once logged, so log it under "
                                    "another name",
                                    param.name, stored, param.value));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<api::TrackingEntry>> ListEntries(Transaction& transaction,
                                                            std::string_view table,
                                                            int64_t run_key) {
  ASSIGN_OR_RETURN(Statement rows,
                   transaction.Query(fmt::format("SELECT name, value FROM {} WHERE run_key = ?1 "
                                                 "ORDER BY name",
                                                 table),
                                     run_key));
  std::vector<api::TrackingEntry> entries;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, rows.Step());
    if (!has_row) break;
    entries.push_back({rows.Text(0), rows.Text(1)});
  }
  return entries;
}

constexpr std::string_view kSummarySelect =
    "SELECT name, point_count, min_value, max_value, latest_step, latest_timestamp, "
    "latest_value FROM tracking_metrics ";

MetricSummary ReadSummary(const Statement& row) {
  MetricSummary summary;
  summary.name = row.Text(0);
  summary.count = row.Int(1);
  summary.min = OptionalDouble(row, 2);
  summary.max = OptionalDouble(row, 3);
  summary.latest = {summary.name, NanIfNull(row, 6), row.Int(4), row.Int(5)};
  return summary;
}

}  // namespace

absl::StatusOr<BatchResult> LogBatch(Transaction& transaction, int64_t run_key,
                                     const api::TrackingBatch& batch) {
  if (!batch.batch_id.empty()) {
    ASSIGN_OR_RETURN(Statement stored,
                     transaction.Query("SELECT metrics, params, tags FROM tracking_batches "
                                       "WHERE run_key = ?1 AND batch_id = ?2",
                                       run_key, batch.batch_id));
    ASSIGN_OR_RETURN(bool seen, stored.Step());
    if (seen) return BatchResult{stored.Int(0), stored.Int(1), stored.Int(2), true};
  }

  // Params go first: a conflicting param rejects the batch before the bulk
  // of the work, and the caller's rollback discards what came before.
  RETURN_IF_ERROR(StoreParams(transaction, run_key, batch.params));
  for (const api::TrackingEntry& tag : batch.tags) {
    RETURN_IF_ERROR(transaction.Execute(
        "INSERT INTO tracking_tags (run_key, name, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (run_key, name) DO UPDATE SET value = excluded.value",
        run_key, tag.name, tag.value));
  }
  RETURN_IF_ERROR(StorePoints(transaction, run_key, batch.metrics));

  BatchResult result{static_cast<int64_t>(batch.metrics.size()),
                     static_cast<int64_t>(batch.params.size()),
                     static_cast<int64_t>(batch.tags.size()), false};
  if (!batch.batch_id.empty()) {
    RETURN_IF_ERROR(transaction.Execute(
        "INSERT INTO tracking_batches (run_key, batch_id, metrics, params, tags, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        run_key, batch.batch_id, result.metrics, result.params, result.tags, NowMillis()));
  }
  return result;
}

absl::StatusOr<MetricSummaryPage> ListMetricSummaries(Transaction& transaction, int64_t run_key,
                                                      std::string_view page_token,
                                                      int page_size) {
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken("metrics", page_token));
  }
  ASSIGN_OR_RETURN(Statement rows,
                   transaction.Query(fmt::format("{} WHERE run_key = ?1 AND name > ?2 ORDER BY "
                                                 "name LIMIT ?3",
                                                 kSummarySelect),
                                     run_key, after, page_size + 1));
  MetricSummaryPage page;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, rows.Step());
    if (!has_row) break;
    page.items.push_back(ReadSummary(rows));
  }
  if (static_cast<int>(page.items.size()) > page_size) {
    page.items.pop_back();
    page.next_page_token = EncodePageToken("metrics", page.items.back().name);
  }
  return page;
}

absl::StatusOr<MetricSummary> GetMetricSummary(Transaction& transaction, int64_t run_key,
                                               std::string_view name) {
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query(fmt::format("{} WHERE run_key = ?1 AND name = ?2",
                                                 kSummarySelect),
                                     run_key, name));
  ASSIGN_OR_RETURN(bool exists, row.Step());
  if (!exists) {
    return absl::NotFoundError(fmt::format("metric '{}' not found: list the run's metrics to "
                                           "see the names logged",
                                           name));
  }
  return ReadSummary(row);
}

absl::StatusOr<MetricHistoryPage> GetMetricHistory(Transaction& transaction, int64_t run_key,
                                                   std::string_view name,
                                                   std::string_view page_token, int page_size) {
  // The token contains the last point's "step timestamp sequence".
  SequencedPoint after{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min(),
                       -1, 0};
  std::string token_kind = fmt::format("history {}", name);
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(std::string key, DecodePageToken(token_kind, page_token));
    const char* position = key.data();
    const char* end = key.data() + key.size();
    int64_t* fields[3] = {&after.step, &after.timestamp, &after.sequence};
    bool valid = true;
    for (size_t i = 0; valid && i < 3; ++i) {
      if (i > 0) valid = position < end && *position++ == ' ';
      auto [next, error] = std::from_chars(position, end, *fields[i]);
      valid = valid && error == std::errc();
      position = next;
    }
    if (!valid || position != end) {
      return InvalidField("pageToken", "invalid page token: pass the nextPageToken of the "
                                       "previous page unchanged");
    }
  }

  MetricHistoryPage page;
  ASSIGN_OR_RETURN(Statement metric,
                   transaction.Query("SELECT metric_key FROM tracking_metrics WHERE run_key = ?1 "
                                     "AND name = ?2",
                                     run_key, name));
  ASSIGN_OR_RETURN(bool exists, metric.Step());
  if (!exists) return page;
  ASSIGN_OR_RETURN(std::vector<SequencedPoint> points,
                   ReadPointsAfter(transaction, metric.Int(0), after,
                                   static_cast<size_t>(page_size) + 1));
  if (points.size() > static_cast<size_t>(page_size)) {
    points.pop_back();
    const SequencedPoint& last = points.back();
    page.next_page_token = EncodePageToken(
        token_kind, fmt::format("{} {} {}", last.step, last.timestamp, last.sequence));
  }
  page.points.reserve(points.size());
  for (const SequencedPoint& point : points) {
    page.points.push_back({std::string(name), point.value, point.step, point.timestamp});
  }
  return page;
}

absl::StatusOr<std::vector<api::TrackingEntry>> ListParams(Transaction& transaction,
                                                           int64_t run_key) {
  return ListEntries(transaction, "tracking_params", run_key);
}

absl::StatusOr<std::vector<api::TrackingEntry>> ListTags(Transaction& transaction,
                                                         int64_t run_key) {
  return ListEntries(transaction, "tracking_tags", run_key);
}

}  // namespace ty::store
