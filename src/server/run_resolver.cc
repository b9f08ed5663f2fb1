#include "server/run_resolver.h"

#include <fmt/format.h>

#include "common/status_macros.h"
#include "server/tracking_auth.h"
#include "store/jobs.h"
#include "store/resources.h"

namespace ty::server {

absl::StatusOr<store::TrackingRun> ResolveRun(store::Transaction& transaction,
                                              const http::Request& request) {
  absl::StatusOr<store::TrackingRun> run;
  if (request.params.contains("run")) {
    run = store::GetRunById(transaction, request.Param("run"));
    if (absl::IsNotFound(run.status())) {
      return absl::NotFoundError(fmt::format(
          "run '{}' not found: check the run id (in a job, TRAINYARD_RUN_ID)", request.Param("run")));
    }
  } else {
    std::string workspace = store::ChildId(store::GroupId(request.Param("group")),
                                           store::kWorkspaces, request.Param("workspace"));
    run = store::GetRunForJob(transaction, store::JobId(workspace, request.Param("job")));
  }
  RETURN_IF_ERROR(run.status());
  RETURN_IF_ERROR(CheckRunAccess(request, run->run_id));
  return run;
}

}  // namespace ty::server
