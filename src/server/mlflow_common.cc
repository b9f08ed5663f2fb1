#include "server/mlflow_common.h"

#include <exception>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/tracking_auth.h"

namespace ty::server {
namespace {

constexpr char kMlflowCodePayloadUrl[] = "trainyard/mlflow-error-code";

struct MlflowCode {
  std::string_view name;
  int http_status;
};

MlflowCode CodeFor(const absl::Status& status) {
  auto marked = status.GetPayload(kMlflowCodePayloadUrl);
  if (marked) {
    std::string name(*marked);
    if (name == "BAD_REQUEST") return {"BAD_REQUEST", 400};
    if (name == "ENDPOINT_NOT_FOUND") return {"ENDPOINT_NOT_FOUND", 404};
    if (name == "INVALID_PARAMETER_VALUE") return {"INVALID_PARAMETER_VALUE", 400};
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
      return {"INVALID_PARAMETER_VALUE", 400};
    case absl::StatusCode::kNotFound:
      return {"RESOURCE_DOES_NOT_EXIST", 404};
    case absl::StatusCode::kAlreadyExists:
      return {"RESOURCE_ALREADY_EXISTS", 400};
    case absl::StatusCode::kUnauthenticated:
      return {"UNAUTHENTICATED", 401};
    case absl::StatusCode::kPermissionDenied:
      return {"PERMISSION_DENIED", 403};
    case absl::StatusCode::kUnavailable:
      return {"TEMPORARILY_UNAVAILABLE", 503};
    default:
      return {"INTERNAL_ERROR", 500};
  }
}

}  // namespace

absl::Status WithMlflowCode(absl::Status status, std::string_view error_code) {
  status.SetPayload(kMlflowCodePayloadUrl, absl::Cord(std::string(error_code)));
  return status;
}

http::Response MlflowErrorResponse(const absl::Status& status) {
  MlflowCode code = CodeFor(status);
  std::string message(status.message());
  if (code.http_status == 500) {
    log::Error("mlflow request failed with an internal error: {}", message);
    message = "internal server error; the server log has the details";
  }
  return JsonResponse(code.http_status, {{"error_code", code.name}, {"message", message}});
}

http::Handler MlflowBind(ServerContext& context, ContextHandler handler) {
  return [&context, handler](http::Request& request) -> http::Response {
    try {
      absl::StatusOr<http::Response> response = handler(context, request);
      if (!response.ok()) return MlflowErrorResponse(response.status());
      return *std::move(response);
    } catch (const std::exception& error) {
      // Our code throws nothing; this is the JSON library throwing on input
      // a handler failed to check.
      log::Error("{} {} failed with an exception: {}", request.method, request.path, error.what());
      return MlflowErrorResponse(absl::InternalError(error.what()));
    }
  };
}

absl::StatusOr<nlohmann::json> MlflowRequestFields(const http::Request& request) {
  if (request.method == "GET") {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [key, value] : request.query) fields[key] = value;
    return fields;
  }
  if (request.body.size() > kMaxJsonBodyBytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "request body has {} bytes but the limit is {} bytes: split the data across requests",
        request.body.size(), kMaxJsonBodyBytes));
  }
  std::string_view body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  nlohmann::json fields;
  try {
    fields = nlohmann::json::parse(body);
  } catch (const nlohmann::json::out_of_range& error) {
    return absl::InvalidArgumentError(fmt::format(
        "request body has a number out of range: {}: send numbers within double's range",
        error.what()));
  } catch (const nlohmann::json::parse_error& error) {
    return WithMlflowCode(
        absl::InvalidArgumentError(fmt::format("request body is not valid JSON: error at byte "
                                               "{}: send a JSON object",
                                               error.byte)),
        "BAD_REQUEST");
  }
  if (!fields.is_object()) {
    return WithMlflowCode(absl::InvalidArgumentError(fmt::format(
                              "request body is a JSON {}: send a JSON object", fields.type_name())),
                          "BAD_REQUEST");
  }
  return fields;
}

absl::StatusOr<std::string> RequiredField(const nlohmann::json& fields, std::string_view key) {
  auto value = fields.find(key);
  if (value != fields.end() && value->is_string() && !value->get_ref<const std::string&>().empty()) {
    return value->get<std::string>();
  }
  if (value != fields.end() && value->is_number_integer()) return value->dump();
  return absl::InvalidArgumentError(
      fmt::format("missing value for required parameter '{}': set '{}' in the request", key, key));
}

absl::StatusOr<std::string> RunIdField(const nlohmann::json& fields) {
  for (std::string_view key : {"run_id", "run_uuid"}) {
    auto value = fields.find(key);
    if (value != fields.end() && value->is_string() && !value->get_ref<const std::string&>().empty()) {
      return value->get<std::string>();
    }
  }
  return absl::InvalidArgumentError(
      "missing value for required parameter 'run_id': set 'run_id' to the run's id (in a "
      "Trainyard job, MLFLOW_RUN_ID)");
}

absl::StatusOr<store::TrackingRun> ReadAccessibleRun(store::Transaction& transaction,
                                                     const http::Request& request,
                                                     std::string_view run_id) {
  absl::StatusOr<store::TrackingRun> run = store::GetRunById(transaction, run_id);
  if (absl::IsNotFound(run.status())) {
    return absl::NotFoundError(fmt::format(
        "run '{}' not found: check the run id (in a Trainyard job, MLFLOW_RUN_ID)", run_id));
  }
  RETURN_IF_ERROR(run.status());
  RETURN_IF_ERROR(CheckRunAccess(request, run->run_id));
  return run;
}

std::string ArtifactUri(const store::TrackingRun& run) {
  return fmt::format("mlflow-artifacts:/{}/{}/artifacts", run.experiment_id, run.run_id);
}

std::map<std::string, std::optional<int64_t>> ArtifactChildren(
    const std::vector<store::Artifact>& artifacts, std::string_view folder) {
  std::string prefix = folder.empty() ? "" : std::string(folder) + "/";
  std::map<std::string, std::optional<int64_t>> children;
  for (const store::Artifact& artifact : artifacts) {
    if (!artifact.path.starts_with(prefix)) continue;
    size_t slash = artifact.path.find('/', prefix.size());
    if (slash == std::string::npos) {
      children[artifact.path] = artifact.size;
    } else {
      children.try_emplace(artifact.path.substr(0, slash), std::nullopt);
    }
  }
  return children;
}

nlohmann::json EntriesToMlflowJson(const std::vector<api::TrackingEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const api::TrackingEntry& entry : entries) {
    list.push_back({{"key", entry.name}, {"value", entry.value}});
  }
  return list;
}

nlohmann::json ExperimentToMlflowJson(const store::Experiment& experiment) {
  nlohmann::json json = {{"experiment_id", std::to_string(experiment.id)},
                         {"name", experiment.name},
                         {"artifact_location", experiment.artifact_location},
                         {"lifecycle_stage", experiment.lifecycle_stage},
                         {"creation_time", experiment.created_at},
                         {"last_update_time", experiment.updated_at}};
  // Protobuf's JSON form leaves out empty repeated fields, as MLflow does.
  if (!experiment.tags.empty()) json["tags"] = EntriesToMlflowJson(experiment.tags);
  return json;
}

nlohmann::json RunInfoToMlflowJson(const store::TrackingRun& run) {
  nlohmann::json info = {{"run_id", run.run_id},
                         {"run_uuid", run.run_id},
                         {"run_name", run.run_name},
                         {"experiment_id", std::to_string(run.experiment_id)},
                         {"user_id", run.user_id},
                         {"status", store::RunStatusName(run.status)},
                         {"artifact_uri", ArtifactUri(run)},
                         {"lifecycle_stage", "active"}};
  if (run.start_time) info["start_time"] = *run.start_time;
  if (run.end_time) info["end_time"] = *run.end_time;
  return info;
}

nlohmann::json MetricToMlflowJson(const api::MetricPoint& point) {
  return {{"key", point.name},
          {"value", api::MetricValueToJson(point.value)},
          {"timestamp", point.timestamp},
          {"step", point.step}};
}

absl::StatusOr<nlohmann::json> RunToMlflowJson(store::Transaction& transaction,
                                               const store::TrackingRun& run) {
  nlohmann::json data = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::array();
  std::string token;
  do {
    ASSIGN_OR_RETURN(store::MetricSummaryPage page,
                     store::ListMetricSummaries(transaction, run.key, token, 1000));
    for (const store::MetricSummary& summary : page.items) {
      metrics.push_back(MetricToMlflowJson(summary.latest));
    }
    token = page.next_page_token;
  } while (!token.empty());
  if (!metrics.empty()) data["metrics"] = std::move(metrics);
  ASSIGN_OR_RETURN(std::vector<api::TrackingEntry> params, store::ListParams(transaction, run.key));
  if (!params.empty()) data["params"] = EntriesToMlflowJson(params);
  ASSIGN_OR_RETURN(std::vector<api::TrackingEntry> tags, store::ListTags(transaction, run.key));
  if (!tags.empty()) data["tags"] = EntriesToMlflowJson(tags);
  return nlohmann::json{
      {"info", RunInfoToMlflowJson(run)}, {"data", std::move(data)}, {"inputs", nlohmann::json::object()}};
}

}  // namespace ty::server
