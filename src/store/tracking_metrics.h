#pragma once

// Metric points, params and tags of tracking runs (see tracking_runs.h).
// Points are appended and never overwritten. Each metric name of a run also
// has a summary row (count, min, max, latest point) that every write keeps
// current, so reading summaries does not scan the points.
//
// Every function runs inside the caller's Transaction; LogBatch needs a
// write transaction and leaves the commit, or the rollback after an error,
// to the caller, so a batch is stored whole or not at all.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/tracking.h"
#include "store/database.h"

namespace ty::store {

struct BatchResult {
  int64_t metrics = 0;
  int64_t params = 0;
  int64_t tags = 0;
  bool duplicate = false;  // the batch id was stored before; nothing changed
};

// Stores a batch for the run with key `run_key`. A batch whose non-empty
// batch_id was stored before for this run changes nothing and returns the
// first copy's counts with `duplicate` set. Errors: kAlreadyExists (field
// "params[i].value") for a param that already has another value, or is
// given two values in the batch.
absl::StatusOr<BatchResult> LogBatch(Transaction& transaction, int64_t run_key,
                                     const api::TrackingBatch& batch);

struct MetricSummary {
  std::string name;
  int64_t count = 0;
  // Smallest and largest values, NaN skipped; unset when every value is NaN.
  std::optional<double> min;
  std::optional<double> max;
  // The point with the highest step, then timestamp, then logging order.
  api::MetricPoint latest;
};

struct MetricSummaryPage {
  std::vector<MetricSummary> items;
  std::string next_page_token;  // empty on the last page
};

// Lists the run's metric summaries sorted by name, `page_size` at a time.
// Errors: kInvalidArgument (field "pageToken") for a token not issued here.
absl::StatusOr<MetricSummaryPage> ListMetricSummaries(Transaction& transaction, int64_t run_key,
                                                      std::string_view page_token,
                                                      int page_size);

// Returns the summary of one metric. Errors: kNotFound naming the metric.
absl::StatusOr<MetricSummary> GetMetricSummary(Transaction& transaction, int64_t run_key,
                                               std::string_view name);

struct MetricHistoryPage {
  std::vector<api::MetricPoint> points;
  std::string next_page_token;  // empty on the last page
};

// Returns the metric's points ordered by step, timestamp and logging order.
// An unknown metric has no points. Errors: kInvalidArgument (field
// "pageToken") for a token not issued here.
absl::StatusOr<MetricHistoryPage> GetMetricHistory(Transaction& transaction, int64_t run_key,
                                                   std::string_view name,
                                                   std::string_view page_token, int page_size);

// Returns the run's params or tags, sorted by name.
absl::StatusOr<std::vector<api::TrackingEntry>> ListParams(Transaction& transaction,
                                                           int64_t run_key);
absl::StatusOr<std::vector<api::TrackingEntry>> ListTags(Transaction& transaction,
                                                         int64_t run_key);

}  // namespace ty::store
