#pragma once

// Reads a tracking batch straight from the request body, without building a
// JSON tree: the ingestion path's parser, for both the native batch
// ({"batchId", "metrics": [{"name", ...}], "params", "tags"}) and MLflow's
// log-batch ({"run_id", "metrics": [{"key", ...}], "params", "tags"}).
//
// It applies the same rules, in the same order, as the tree-based readers in
// api/tracking.h. The whole body is read first, then the batch limits are
// checked, then each entry is validated. So a batch over a limit is
// reported as such whatever its entries contain. Unknown keys are skipped.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/tracking.h"

namespace ty::api {

enum class BatchDialect {
  kNative,  // entries name their key "name"; top level has "batchId"
  kMlflow,  // entries name their key "key"; top level has "run_id" or "run_uuid"
};

struct BatchRequest {
  TrackingBatch batch;
  std::string run_id;  // kMlflow: "run_id", else "run_uuid"; empty when absent
};

// Reads `body`. A point without a timestamp gets `now_millis`. Errors:
// kInvalidArgument marked by IsMalformedJson (common/json_cursor.h) for text
// that is not JSON; kResourceExhausted from CheckBatchLimits;
// kInvalidArgument naming the field at fault ("metrics[3].value") for
// everything else.
absl::StatusOr<BatchRequest> ReadTrackingBatch(std::string_view body, BatchDialect dialect,
                                               int64_t now_millis);

}  // namespace ty::api
