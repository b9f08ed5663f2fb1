// MLflow tracking API, experiments and runs: experiments/{create, get,
// get-by-name, search} and runs/{create, get, update, search} under
// /api/2.0/mlflow/, and MLflow's ENDPOINT_NOT_FOUND for the rest of that
// tree. The logging endpoints are in mlflow_logging_routes.cc.

#include <algorithm>

#include <fmt/format.h>

#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/mlflow_common.h"
#include "server/mlflow_search.h"
#include "server/routes.h"
#include "server/tracking_auth.h"
#include "store/resources.h"

namespace ty::server {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultMaxResults = 1000;

// The resource group and workspace of tracking-only runs from runs/create:
// the ones that `trainyard up` creates. Nothing requires them to exist.
constexpr std::string_view kScriptRunResourceGroup = "default";
constexpr std::string_view kScriptRunWorkspace = "default";
constexpr int64_t kMaxSearchRuns = 50000;

absl::StatusOr<int64_t> ExperimentIdField(const json& fields, std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, RequiredField(fields, key));
  absl::StatusOr<int64_t> id = api::Int64FromJson(key, json(text));
  if (!id.ok()) {
    return absl::NotFoundError(fmt::format("experiment '{}' not found: experiment ids are the "
                                           "numbers that experiments/create returns",
                                           text));
  }
  return *id;
}

std::vector<api::TrackingEntry> TagsField(const json& fields, absl::Status* status) {
  std::vector<api::TrackingEntry> tags;
  auto list = fields.find("tags");
  if (list == fields.end() || !list->is_array()) return tags;
  for (size_t i = 0; i < list->size() && status->ok(); ++i) {
    absl::StatusOr<api::TrackingEntry> tag =
        api::TrackingEntryFromJson((*list)[i], fmt::format("tags[{}]", i), "key", true);
    if (!tag.ok()) *status = tag.status();
    if (tag.ok()) tags.push_back(*std::move(tag));
  }
  return tags;
}

absl::StatusOr<int64_t> MaxResults(const json& fields, int64_t limit) {
  auto value = fields.find("max_results");
  if (value == fields.end() || value->is_null()) return kDefaultMaxResults;
  ASSIGN_OR_RETURN(int64_t max_results, api::Int64FromJson("max_results", *value));
  if (max_results < 1 || max_results > limit) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid value {} for parameter 'max_results': use 1 to {}", max_results, limit));
  }
  return max_results;
}

std::vector<std::string> StringList(const json& fields, std::string_view key) {
  std::vector<std::string> list;
  auto value = fields.find(key);
  if (value == fields.end()) return list;
  if (value->is_string()) list.push_back(value->get<std::string>());
  if (!value->is_array()) return list;
  for (const json& item : *value) {
    if (item.is_string()) list.push_back(item.get<std::string>());
    if (item.is_number_integer()) list.push_back(item.dump());
  }
  return list;
}

// Pages `items` with an offset token, as MLflow's search endpoints do.
absl::StatusOr<std::pair<size_t, size_t>> PageBounds(const json& fields, size_t count,
                                                     int64_t max_results, std::string_view kind) {
  size_t offset = 0;
  std::string token = fields.value("page_token", "");
  if (!token.empty()) {
    ASSIGN_OR_RETURN(std::string key, store::DecodePageToken(kind, token));
    absl::StatusOr<int64_t> parsed = api::Int64FromJson("page_token", json(key));
    if (!parsed.ok() || *parsed < 0) return absl::InvalidArgumentError("invalid page_token");
    offset = static_cast<size_t>(*parsed);
  }
  return std::make_pair(std::min(offset, count),
                        std::min(count, offset + static_cast<size_t>(max_results)));
}

absl::StatusOr<http::Response> CreateExperimentRoute(ServerContext& context,
                                                     http::Request& request) {
  RETURN_IF_ERROR(RequireAdminToken(request, "creating experiments"));
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string name, RequiredField(fields, "name"));
  absl::Status tags_status;
  std::vector<api::TrackingEntry> tags = TagsField(fields, &tags_status);
  RETURN_IF_ERROR(tags_status);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(int64_t id, store::CreateExperiment(transaction, name,
                                                       fields.value("artifact_location", ""),
                                                       tags));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"experiment_id", std::to_string(id)}});
}

absl::StatusOr<http::Response> GetExperimentRoute(ServerContext& context,
                                                  http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(int64_t id, ExperimentIdField(fields, "experiment_id"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Experiment experiment, store::GetExperiment(transaction, id));
  return JsonResponse(200, {{"experiment", ExperimentToMlflowJson(experiment)}});
}

absl::StatusOr<http::Response> GetExperimentByNameRoute(ServerContext& context,
                                                        http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string name, RequiredField(fields, "experiment_name"));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::Experiment experiment, store::GetExperimentByName(transaction, name));
  return JsonResponse(200, {{"experiment", ExperimentToMlflowJson(experiment)}});
}

SearchFacts ExperimentFacts(const store::Experiment& experiment) {
  SearchFacts facts;
  facts.attributes = {{"name", experiment.name},
                      {"experiment_id", std::to_string(experiment.id)},
                      {"lifecycle_stage", experiment.lifecycle_stage},
                      {"creation_time", experiment.created_at},
                      {"last_update_time", experiment.updated_at}};
  for (const api::TrackingEntry& tag : experiment.tags) facts.tags[tag.name] = tag.value;
  return facts;
}

absl::StatusOr<http::Response> SearchExperimentsRoute(ServerContext& context,
                                                      http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(int64_t max_results, MaxResults(fields, kMaxSearchRuns));
  ASSIGN_OR_RETURN(std::vector<SearchClause> filter,
                   ParseSearchFilter(fields.value("filter", "")));
  ASSIGN_OR_RETURN(std::vector<SearchOrder> order, ParseSearchOrder(StringList(fields, "order_by")));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(std::vector<store::Experiment> experiments, store::ListExperiments(transaction));

  // DELETED_ONLY finds nothing: experiments are never deleted here.
  bool deleted_only = fields.value("view_type", "") == "DELETED_ONLY";
  std::vector<std::pair<SearchFacts, const store::Experiment*>> found;
  for (const store::Experiment& experiment : experiments) {
    SearchFacts facts = ExperimentFacts(experiment);
    if (!deleted_only && MatchesFilter(facts, filter)) found.emplace_back(facts, &experiment);
  }
  // MLflow breaks ties by experiment id, newest first.
  order.push_back({SearchEntity::kAttribute, "creation_time", false});
  std::stable_sort(found.begin(), found.end(), [&order](const auto& a, const auto& b) {
    return ComesBefore(a.first, b.first, order);
  });
  ASSIGN_OR_RETURN(auto bounds, PageBounds(fields, found.size(), max_results, "experiments"));
  json list = json::array();
  for (size_t i = bounds.first; i < bounds.second; ++i) {
    list.push_back(ExperimentToMlflowJson(*found[i].second));
  }
  json body = {{"experiments", std::move(list)}};
  if (bounds.second < found.size()) {
    body["next_page_token"] = store::EncodePageToken("experiments", std::to_string(bounds.second));
  }
  return JsonResponse(200, body);
}

absl::StatusOr<http::Response> CreateRunRoute(ServerContext& context, http::Request& request) {
  RETURN_IF_ERROR(RequireAdminToken(request, "creating runs"));
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  store::ScriptRunRequest run_request;
  if (fields.contains("experiment_id")) {
    ASSIGN_OR_RETURN(run_request.experiment_id, ExperimentIdField(fields, "experiment_id"));
  }
  run_request.resource_group = kScriptRunResourceGroup;
  run_request.workspace = kScriptRunWorkspace;
  run_request.run_name = fields.value("run_name", "");
  run_request.user_id = fields.value("user_id", "");
  if (fields.contains("start_time")) {
    ASSIGN_OR_RETURN(run_request.start_time, api::Int64FromJson("start_time", fields["start_time"]));
  }
  absl::Status tags_status;
  run_request.tags = TagsField(fields, &tags_status);
  RETURN_IF_ERROR(tags_status);
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, store::CreateScriptRun(transaction, run_request));
  ASSIGN_OR_RETURN(json run_json, RunToMlflowJson(transaction, run));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"run", std::move(run_json)}});
}

absl::StatusOr<http::Response> GetRunRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, run_id));
  ASSIGN_OR_RETURN(json run_json, RunToMlflowJson(transaction, run));
  return JsonResponse(200, {{"run", std::move(run_json)}});
}

absl::StatusOr<http::Response> UpdateRunRoute(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(std::string run_id, RunIdField(fields));
  store::RunUpdate update;
  if (fields.contains("status") && !fields["status"].is_null()) {
    ASSIGN_OR_RETURN(update.status, store::ParseRunStatus("status", fields.value("status", "")));
  }
  if (fields.contains("end_time") && !fields["end_time"].is_null()) {
    ASSIGN_OR_RETURN(update.end_time, api::Int64FromJson("end_time", fields["end_time"]));
  }
  if (fields.contains("run_name") && fields["run_name"].is_string()) {
    update.run_name = fields["run_name"].get<std::string>();
  }
  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.Begin());
  ASSIGN_OR_RETURN(store::TrackingRun run, ReadAccessibleRun(transaction, request, run_id));
  ASSIGN_OR_RETURN(store::TrackingRun updated, store::UpdateRun(transaction, run, update));
  RETURN_IF_ERROR(transaction.Commit());
  return JsonResponse(200, {{"run_info", RunInfoToMlflowJson(updated)}});
}

absl::StatusOr<SearchFacts> RunFacts(store::Transaction& transaction, const store::TrackingRun& run) {
  SearchFacts facts;
  facts.attributes = {{"run_id", run.run_id},          {"run_name", run.run_name},
                      {"status", store::RunStatusName(run.status)},
                      {"user_id", run.user_id},        {"artifact_uri", ArtifactUri(run)},
                      {"lifecycle_stage", "active"}};
  if (run.start_time) facts.attributes["start_time"] = *run.start_time;
  if (run.end_time) facts.attributes["end_time"] = *run.end_time;
  std::string token;
  do {
    ASSIGN_OR_RETURN(store::MetricSummaryPage page,
                     store::ListMetricSummaries(transaction, run.key, token, 1000));
    for (const store::MetricSummary& summary : page.items) {
      facts.metrics[summary.name] = summary.latest.value;
    }
    token = page.next_page_token;
  } while (!token.empty());
  ASSIGN_OR_RETURN(std::vector<api::TrackingEntry> params, store::ListParams(transaction, run.key));
  for (const api::TrackingEntry& param : params) facts.params[param.name] = param.value;
  ASSIGN_OR_RETURN(std::vector<api::TrackingEntry> tags, store::ListTags(transaction, run.key));
  for (const api::TrackingEntry& tag : tags) facts.tags[tag.name] = tag.value;
  return facts;
}

absl::StatusOr<http::Response> SearchRunsRoute(ServerContext& context, http::Request& request) {
  RETURN_IF_ERROR(RequireAdminToken(request, "searching runs"));
  ASSIGN_OR_RETURN(json fields, MlflowRequestFields(request));
  ASSIGN_OR_RETURN(int64_t max_results, MaxResults(fields, kMaxSearchRuns));
  ASSIGN_OR_RETURN(std::vector<SearchClause> filter,
                   ParseSearchFilter(fields.value("filter", "")));
  ASSIGN_OR_RETURN(std::vector<SearchOrder> order, ParseSearchOrder(StringList(fields, "order_by")));
  store::RunQuery query;
  for (const std::string& id : StringList(fields, "experiment_ids")) {
    absl::StatusOr<int64_t> parsed = api::Int64FromJson("experiment_ids", json(id));
    if (parsed.ok()) query.experiment_ids.push_back(*parsed);
  }
  // An unknown id matches no run, and no id at all would match every run.
  if (query.experiment_ids.empty()) return JsonResponse(200, {{"runs", json::array()}});

  ASSIGN_OR_RETURN(store::Transaction transaction, context.database.BeginRead());
  ASSIGN_OR_RETURN(std::vector<store::TrackingRun> runs, store::ListRuns(transaction, query));
  bool deleted_only = fields.value("run_view_type", "") == "DELETED_ONLY";
  std::vector<std::pair<SearchFacts, const store::TrackingRun*>> found;
  for (const store::TrackingRun& run : runs) {
    ASSIGN_OR_RETURN(SearchFacts facts, RunFacts(transaction, run));
    if (!deleted_only && MatchesFilter(facts, filter)) found.emplace_back(std::move(facts), &run);
  }
  order.push_back({SearchEntity::kAttribute, "start_time", false});
  order.push_back({SearchEntity::kAttribute, "run_id", true});
  std::stable_sort(found.begin(), found.end(), [&order](const auto& a, const auto& b) {
    return ComesBefore(a.first, b.first, order);
  });
  ASSIGN_OR_RETURN(auto bounds, PageBounds(fields, found.size(), max_results, "mlflow runs"));
  json list = json::array();
  for (size_t i = bounds.first; i < bounds.second; ++i) {
    ASSIGN_OR_RETURN(json run_json, RunToMlflowJson(transaction, *found[i].second));
    list.push_back(std::move(run_json));
  }
  json body = {{"runs", std::move(list)}};
  if (bounds.second < found.size()) {
    body["next_page_token"] = store::EncodePageToken("mlflow runs", std::to_string(bounds.second));
  }
  return JsonResponse(200, body);
}

absl::StatusOr<http::Response> EndpointNotFound(ServerContext&, http::Request& request) {
  return WithMlflowCode(
      absl::NotFoundError(fmt::format("{} {} is not part of the MLflow API subset that "
                                      "Trainyard serves: see docs/rest-api.md",
                                      request.method, request.path)),
      "ENDPOINT_NOT_FOUND");
}

}  // namespace

void RegisterMlflowRoutes(http::Router& router, ServerContext& context) {
  const std::string base = "/api/2.0/mlflow/";
  router.Add("POST", base + "experiments/create", MlflowBind(context, CreateExperimentRoute));
  router.Add("GET", base + "experiments/get", MlflowBind(context, GetExperimentRoute));
  router.Add("GET", base + "experiments/get-by-name",
             MlflowBind(context, GetExperimentByNameRoute));
  router.Add("POST", base + "experiments/search", MlflowBind(context, SearchExperimentsRoute));
  router.Add("POST", base + "runs/create", MlflowBind(context, CreateRunRoute));
  router.Add("GET", base + "runs/get", MlflowBind(context, GetRunRoute));
  router.Add("POST", base + "runs/update", MlflowBind(context, UpdateRunRoute));
  router.Add("POST", base + "runs/search", MlflowBind(context, SearchRunsRoute));
  RegisterMlflowLoggingRoutes(router, context);
  RegisterMlflowArtifactRoutes(router, context);
  for (std::string_view method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    router.Add(method, base + "{path*}", MlflowBind(context, EndpointNotFound));
  }
}

}  // namespace ty::server
