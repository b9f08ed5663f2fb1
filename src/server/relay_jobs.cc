// The job half of RelayHub: applying what agents report about jobs, and
// reconciling an agent's inventory when it (re)connects.

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "api/job_status.h"
#include "api/names.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/relay_hub.h"
#include "store/assignments.h"
#include "store/clusters.h"
#include "store/job_logs.h"
#include "store/job_tokens.h"
#include "store/jobs.h"
#include "store/tracking_runs.h"

namespace ty::server {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Reads an optional integer member; wrong types are errors naming the field.
absl::StatusOr<std::optional<int64_t>> OptionalInt(const json& frame, const char* field) {
  auto it = frame.find(field);
  if (it == frame.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "' must be an integer"));
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

// Reads the optional "node" of a rank's status: where the rank runs.
absl::StatusOr<std::string> OptionalNodeName(const json& frame) {
  constexpr size_t kMaxNodeName = 253;  // a DNS name's maximum length
  auto it = frame.find("node");
  if (it == frame.end() || it->is_null()) return std::string();
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxNodeName) {
    return absl::InvalidArgumentError(
        absl::StrCat("field 'node' must be a string of at most ", kMaxNodeName, " characters"));
  }
  return it->get<std::string>();
}

}  // namespace

void RelayHub::HandleHello(Session& session, const json& frame) {
  std::optional<json> capacity;
  if (frame.contains("capacity") && frame["capacity"].is_object()) capacity = frame["capacity"];
  // Every hello sets the namespace, so that a cluster whose agent moved to
  // the local executor no longer keeps an old one.
  std::string job_namespace;
  auto reported = frame.find("jobNamespace");
  if (reported != frame.end() && reported->is_string()) {
    job_namespace = reported->get<std::string>();
    absl::Status valid = api::ValidateNamespaceName("jobNamespace", job_namespace);
    if (!valid.ok()) {
      log::Warning("relay: cluster {} reported an invalid job namespace, ignored: {}",
                   session.cluster_ref, valid.message());
      job_namespace.clear();
    }
  }
  absl::Status stored =
      store::UpdateClusterHeartbeat(database_, session.cluster_id, capacity, true, NowMillis(),
                                    frame.value("agentVersion", ""), job_namespace);
  if (!stored.ok()) {
    log::Warning("relay: hello of cluster {} not stored because {}", session.cluster_ref,
                 stored.message());
  }
  session.socket
      ->Write(Dump({{"type", "welcome"},
                    {"heartbeatSeconds", options_.heartbeat_seconds},
                    {"offlineAfterSeconds", options_.offline_after_seconds}}))
      .IgnoreError();
  ReconcileInventory(session, frame.value("jobs", json::array()));
  // Capacity may have changed and cancels must be sent again on this
  // connection: the scheduler takes both from here.
  notifier_.Notify(store::kQueuedJobsTopic);
}

void RelayHub::ReconcileInventory(Session& session, const json& jobs) {
  std::map<std::string, std::string> held;  // job id -> status the agent reports
  if (jobs.is_array()) {
    for (const json& entry : jobs) {
      if (entry.is_object() && entry.contains("job") && entry["job"].is_string()) {
        held[entry["job"].get<std::string>()] = entry.value("status", "");
      }
    }
  }

  std::vector<store::Assignment> active;
  {
    absl::StatusOr<store::Transaction> transaction = database_.Begin();
    if (!transaction.ok()) return;
    if (!store::ResetCancelSent(*transaction, session.cluster_id).ok()) return;
    absl::StatusOr<std::vector<store::Assignment>> listed =
        store::ActiveAssignments(*transaction, session.cluster_id);
    if (!listed.ok() || !transaction->Commit().ok()) return;
    active = std::move(*listed);
  }

  std::set<std::string> assigned;
  for (const store::Assignment& assignment : active) {
    assigned.insert(assignment.job_id);
    if (held.count(assignment.job_id)) continue;
    if (!assignment.acknowledged) {
      // The agent never confirmed this assignment, so it may never have
      // seen it: send it again. Launching is idempotent on the agent.
      session.socket
          ->Write(Dump({{"type", "assign"},
                        {"id", assignment.message_id},
                        {"job", json::parse(assignment.launch, nullptr, false)}}))
          .IgnoreError();
      continue;
    }
    // The agent confirmed the job once and no longer holds it: its state was
    // lost (a wiped work folder, another machine). The job's own outcome is
    // unknown, so the error says so instead of blaming the job.
    log::Warning("[job {}] lost by the agent of cluster {}", assignment.job_id, session.cluster_ref);
    store::AppendJobStatus(database_, notifier_,
                           {.job_id = assignment.job_id,
                            .status = api::JobStatus::kFailed,
                            .message = absl::StrCat(
                                "JobLost: the agent of cluster '", session.cluster_ref,
                                "' reconnected without this job, so its outcome is unknown; "
                                "submit it again"),
                            .time_millis = NowMillis()})
        .IgnoreError();
    absl::StatusOr<store::Transaction> transaction = database_.Begin();
    if (transaction.ok() && store::MarkAssignmentFinal(*transaction, assignment.job_id).ok()) {
      transaction->Commit().IgnoreError();
    }
  }

  // Jobs the agent runs that the server no longer expects there (deleted,
  // final, or never assigned to this cluster) are stopped.
  for (const auto& [job_id, status] : held) {
    if (assigned.count(job_id)) continue;
    absl::StatusOr<api::JobStatus> parsed = api::ParseJobStatus("status", status);
    if (parsed.ok() && api::IsTerminal(*parsed)) continue;
    log::Info("[job {}] not expected on cluster {}; asking its agent to stop it", job_id,
              session.cluster_ref);
    session.socket
        ->Write(Dump({{"type", "cancel"},
                      {"id", "cancel-orphan-" + job_id},
                      {"job", job_id},
                      {"reason", "the server no longer expects this job on this cluster"}}))
        .IgnoreError();
  }
}

void RelayHub::ApplyAck(Session& session, const json& frame) {
  if (!frame.contains("id") || !frame["id"].is_string()) return;
  absl::StatusOr<store::Transaction> transaction = database_.Begin();
  if (!transaction.ok()) return;
  absl::StatusOr<std::string> job = store::AcknowledgeAssignment(*transaction, frame["id"].get<std::string>());
  if (job.ok()) transaction->Commit().IgnoreError();
}

absl::Status RelayHub::ApplyJobStatus(Session& session, const json& frame) {
  const std::string job_id = frame.value("job", "");
  if (job_id.empty()) return absl::InvalidArgumentError("jobStatus without 'job'");
  ASSIGN_OR_RETURN(api::JobStatus status, api::ParseJobStatus("status", frame.value("status", "")));
  store::JobStatusUpdate update;
  update.job_id = job_id;
  update.status = status;
  update.message = frame.value("message", "");
  ASSIGN_OR_RETURN(update.exit_code, OptionalInt(frame, "exitCode"));
  ASSIGN_OR_RETURN(update.signal, OptionalInt(frame, "signal"));
  ASSIGN_OR_RETURN(update.rank, OptionalInt(frame, "rank"));
  ASSIGN_OR_RETURN(update.node, OptionalNodeName(frame));
  ASSIGN_OR_RETURN(std::optional<int64_t> time, OptionalInt(frame, "time"));
  update.time_millis = time.value_or(NowMillis());

  // Only the cluster the job was assigned to may move it.
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, database_.BeginRead());
    ASSIGN_OR_RETURN(std::optional<store::Assignment> assignment, store::FindAssignment(transaction, job_id));
    if (!assignment || assignment->cluster_id != session.cluster_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("job '", job_id, "' is not assigned to cluster '", session.cluster_ref, "'"));
    }
  }
  absl::StatusOr<bool> changed = store::AppendJobStatus(database_, notifier_, update);
  if (!changed.ok()) return changed.status();
  if (!update.rank && api::IsTerminal(status)) {
    ASSIGN_OR_RETURN(store::Transaction transaction, database_.Begin());
    RETURN_IF_ERROR(store::MarkAssignmentFinal(transaction, job_id));
    // A final job's processes are gone, so its tracking tokens go too.
    ASSIGN_OR_RETURN(store::TrackingRun run, store::GetRunForJob(transaction, job_id));
    RETURN_IF_ERROR(store::RevokeJobTokens(transaction, run.key));
    RETURN_IF_ERROR(transaction.Commit());
    // Capacity was freed: the next queued job may fit now.
    notifier_.Notify(store::kQueuedJobsTopic);
  }
  return absl::OkStatus();
}

}  // namespace ty::server

namespace ty::server {

absl::Status RelayHub::ApplyArtifact(Session& session, const json& frame) {
  const std::string job_id = frame.value("job", "");
  store::Artifact artifact;
  artifact.path = frame.value("path", "");
  artifact.digest = frame.value("digest", "");
  ASSIGN_OR_RETURN(std::optional<int64_t> size, OptionalInt(frame, "size"));
  artifact.size = size.value_or(0);
  if (job_id.empty() || artifact.path.empty() || artifact.digest.empty()) {
    return absl::InvalidArgumentError("artifact needs 'job', 'path' and 'digest'");
  }
  // Downloads write artifacts under the user's folder by this path, so it
  // must stay relative and inside.
  if (artifact.path.front() == '/' || artifact.path == ".." ||
      artifact.path.rfind("../", 0) == 0 || artifact.path.find("/../") != std::string::npos ||
      (artifact.path.size() >= 3 &&
       artifact.path.compare(artifact.path.size() - 3, 3, "/..") == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact path '", artifact.path, "' must be relative without '..'"));
  }
  {
    ASSIGN_OR_RETURN(store::Transaction transaction, database_.BeginRead());
    ASSIGN_OR_RETURN(std::optional<store::Assignment> assignment, store::FindAssignment(transaction, job_id));
    if (!assignment || assignment->cluster_id != session.cluster_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("job '", job_id, "' is not assigned to cluster '", session.cluster_ref, "'"));
    }
  }
  return store::AddArtifact(database_, job_id, artifact);
}

}  // namespace ty::server
