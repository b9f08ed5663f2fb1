// Jobs: /api/v1/resourceGroups/{group}/workspaces/{workspace}/jobs[/{job}[/cancel]].

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "api/job_spec.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "common/time.h"
#include "server/api_errors.h"
#include "server/job_admission.h"
#include "server/job_json.h"
#include "server/route_util.h"
#include "server/routes.h"
#include "store/computes.h"
#include "store/extensions.h"
#include "store/jobs.h"

namespace ty::server {
namespace {

std::string WorkspaceId(const http::Request& request) {
  return store::ChildId(store::GroupId(request.Param("group")), store::kWorkspaces,
                        request.Param("workspace"));
}

std::string JobIdOf(const http::Request& request) {
  return store::JobId(WorkspaceId(request), request.Param("job"));
}

// Names the resources of `type` under `parent_id` for "valid ones are"
// hints.
absl::StatusOr<std::string> ExistingNames(store::Transaction& transaction, std::string_view type,
                                          std::string_view parent_id) {
  ASSIGN_OR_RETURN(std::vector<store::Resource> resources,
                   store::ListAllResources(transaction, type, parent_id));
  if (resources.empty()) return std::string("none exist yet");
  std::vector<std::string> names;
  for (const store::Resource& resource : resources) names.push_back("'" + resource.name + "'");
  return "existing ones: " + absl::StrJoin(names, ", ");
}

// Resolves the spec's compute and instance type in the workspace and checks
// that the job can ever run there. Fills the job's compute, cluster and
// status message.
absl::Status AdmitJob(store::Transaction& transaction, const store::Resource& workspace,
                      const api::JobSpec& spec, store::JobRecord& job) {
  if (spec.compute.empty()) {
    ASSIGN_OR_RETURN(std::string names, ExistingNames(transaction, store::kComputes, workspace.id));
    return InvalidField("compute", fmt::format("missing; name the compute to run on ({})", names));
  }
  ASSIGN_OR_RETURN(std::optional<store::Resource> compute,
                   store::FindResource(transaction, store::ChildId(workspace.id, store::kComputes,
                                                                   spec.compute)));
  if (!compute) {
    ASSIGN_OR_RETURN(std::string names, ExistingNames(transaction, store::kComputes, workspace.id));
    return InvalidField("compute", fmt::format("compute '{}' not found in workspace '{}' ({}); "
                                               "attach it with `trainyard ml compute attach`",
                                               spec.compute, workspace.name, names));
  }
  ASSIGN_OR_RETURN(store::Resource cluster,
                   store::GetResource(transaction, compute->properties.value("clusterId", "")));
  RETURN_IF_ERROR(store::CheckTrainingEnabled(transaction, cluster, "run jobs", "compute",
                                              /*require_installed=*/false));

  std::string type_name =
      spec.instance_type.empty() ? std::string(api::kDefaultInstanceTypeName) : spec.instance_type;
  ASSIGN_OR_RETURN(std::optional<store::Resource> type_resource,
                   store::FindResource(transaction, store::ChildId(compute->id,
                                                                   store::kInstanceTypes,
                                                                   type_name)));
  if (!type_resource) {
    ASSIGN_OR_RETURN(std::string names,
                     ExistingNames(transaction, store::kInstanceTypes, compute->id));
    return InvalidField("resources.instance_type",
                        fmt::format("instance type '{}' not found on compute '{}' ({}); create it "
                                    "with `trainyard ml compute instance-type create`",
                                    type_name, compute->name, names));
  }
  ASSIGN_OR_RETURN(api::InstanceType instance_type, store::InstanceTypeOf(*type_resource));

  job.compute = compute->name;
  job.cluster_id = cluster.id;
  const nlohmann::json& capacity = cluster.properties["capacity"];
  if (capacity.is_null()) {
    // Without a report there is nothing to check against; the scheduler
    // checks again once the agent connects.
    job.status_message = fmt::format("waiting for the agent of connected cluster '{}' to connect "
                                     "and report its capacity",
                                     cluster.name);
    return absl::OkStatus();
  }

  ASSIGN_OR_RETURN(std::vector<store::Resource> extensions,
                   store::ListAllResources(transaction, store::kExtensions, cluster.id));
  AdmissionRequest admission{compute->name, instance_type, spec.instance_count, "", {}};
  for (const store::Resource& extension : extensions) {
    absl::StatusOr<api::ExtensionSettings> settings = store::StoredSettings(extension);
    if (settings.ok() && settings->enable_training) {
      admission.extension_name = extension.name;
      admission.settings = *settings;
    }
  }
  RETURN_IF_ERROR(CheckJobFits(admission, capacity));
  job.status_message = "waiting for the scheduler";
  return absl::OkStatus();
}

absl::StatusOr<http::Response> CreateJob(ServerContext& context, http::Request& request) {
  if (request.body.size() > kMaxJsonBodyBytes) {
    return absl::ResourceExhaustedError(
        fmt::format("job spec has {} bytes but the limit is {} bytes; keep data out of the spec "
                    "and pass it as inputs",
                    request.body.size(), kMaxJsonBodyBytes));
  }
  ASSIGN_OR_RETURN(api::JobSpec spec, api::ParseJobSpec(request.body));
  std::string snapshot = request.Query("codeSnapshot");
  if (!snapshot.empty()) {
    ASSIGN_OR_RETURN(bool stored, context.blobs.Contains(snapshot, "codeSnapshot"));
    if (!stored) {
      return InvalidField("codeSnapshot",
                          fmt::format("blob '{}' not found; upload the code with POST "
                                      "/api/v1/blobs before submitting the job",
                                      snapshot));
    }
  }

  store::JobRecord job;
  job.workspace_id = WorkspaceId(request);
  job.resource_group = request.Param("group");
  job.workspace = request.Param("workspace");
  // Generated names are random rather than counted, so no two servers or
  // retries produce the same one.
  job.name = spec.name.empty() ? "job-" + NewId() : spec.name;
  job.experiment = spec.experiment_name;
  job.display_name = spec.display_name.empty() ? job.name : spec.display_name;
  job.spec = api::JobSpecToJson(spec);
  job.code_snapshot = snapshot;
  job.status = api::JobStatus::kQueued;

  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::Resource workspace, store::GetResource(transaction, job.workspace_id));
  RETURN_IF_ERROR(AdmitJob(transaction, workspace, spec, job));
  RETURN_IF_ERROR(store::InsertJob(transaction, job));
  ASSIGN_OR_RETURN(std::vector<store::JobHistoryEntry> history,
                   store::JobHistory(transaction, job.id));
  RETURN_IF_ERROR(transaction.Commit());

  context.notifier.Notify(store::kQueuedJobsTopic);
  log::Info("[job {}] queued on compute '{}'", job.id, job.compute);
  return JsonResponse(201, JobJson(job, history, {}));
}

absl::StatusOr<http::Response> ListJobs(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(store::PageRequest page, PageFromQuery(request));
  store::JobFilter filter;
  std::string status = request.Query("status");
  if (!status.empty()) {
    ASSIGN_OR_RETURN(filter.status, api::ParseJobStatus("status", status));
  }
  filter.experiment = request.Query("experiment");
  filter.compute = request.Query("compute");
  // ?tag=NAME matches any value, ?tag=NAME=VALUE one value.
  std::string tag = request.Query("tag");
  size_t equals = tag.find('=');
  filter.tag_name = tag.substr(0, equals);
  if (equals != std::string::npos) filter.tag_value = tag.substr(equals + 1);
  if (!tag.empty() && filter.tag_name.empty()) {
    return InvalidField("tag", fmt::format("invalid tag filter '{}'; use NAME or NAME=VALUE", tag));
  }
  std::string order = request.Query("order", "newest");
  if (order != "newest" && order != "oldest") {
    return InvalidField("order", fmt::format("invalid order '{}'; use newest or oldest", order));
  }
  filter.oldest_first = order == "oldest";

  std::string workspace_id = WorkspaceId(request);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  RETURN_IF_ERROR(store::GetResource(transaction, workspace_id).status());
  ASSIGN_OR_RETURN(store::JobPage jobs, store::ListJobs(transaction, workspace_id, filter, page));
  nlohmann::json items = nlohmann::json::array();
  for (const store::JobRecord& job : jobs.items) items.push_back(JobJson(job, {}, {}));
  return JsonResponse(200, ListJson(std::move(items), jobs.next_page_token));
}

absl::StatusOr<nlohmann::json> ReadJobJson(store::Database& database, std::string_view job_id) {
  ASSIGN_OR_RETURN(store::Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(store::JobRecord job, store::GetJob(transaction, job_id));
  ASSIGN_OR_RETURN(std::vector<store::JobHistoryEntry> history,
                   store::JobHistory(transaction, job_id));
  ASSIGN_OR_RETURN(std::vector<store::JobNode> nodes, store::JobNodes(transaction, job_id));
  return JobJson(job, history, nodes);
}

absl::StatusOr<http::Response> ShowJob(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(nlohmann::json job, ReadJobJson(context.database, JobIdOf(request)));
  return JsonResponse(200, job);
}

absl::StatusOr<http::Response> CancelJob(ServerContext& context, http::Request& request) {
  std::string id = JobIdOf(request);
  ASSIGN_OR_RETURN(store::JobRecord job,
                   store::CancelJob(context.database, context.notifier, id, NowMillis()));
  log::Info("[job {}] cancel requested; status is now {}", id, api::JobStatusName(job.status));
  ASSIGN_OR_RETURN(nlohmann::json json, ReadJobJson(context.database, id));
  return JsonResponse(200, json);
}

}  // namespace

void RegisterJobRoutes(http::Router& router, ServerContext& context) {
  const std::string collection = "/api/v1/resourceGroups/{group}/workspaces/{workspace}/jobs";
  router.Add("POST", collection, Bind(context, CreateJob));
  router.Add("GET", collection, Bind(context, ListJobs));
  router.Add("GET", collection + "/{job}", Bind(context, ShowJob));
  router.Add("POST", collection + "/{job}/cancel", Bind(context, CancelJob));
}

}  // namespace ty::server
