#include "agent/agent.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/launch_json.h"
#include "api/job_status.h"
#include "api/log_message.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kAgentVersion[] = "0.1.0";

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json CapacityToJson(const std::vector<NodeCapacity>& nodes) {
  json items = json::array();
  for (const NodeCapacity& node : nodes) {
    json gpus = json::array();
    for (const GpuInfo& gpu : node.gpus) {
      gpus.push_back({{"index", gpu.index}, {"model", gpu.model}, {"memoryBytes", gpu.memory_bytes}});
    }
    items.push_back({{"name", node.name},
                     {"cpus", node.cpus},
                     {"memoryBytes", node.memory_bytes},
                     {"gpus", gpus}});
  }
  return {{"nodes", items}};
}

}  // namespace

Agent::Agent(AgentOptions options, std::unique_ptr<Outbox> outbox, Executor& executor,
             ClusterInstaller& installer)
    : options_(std::move(options)),
      outbox_(std::move(outbox)),
      executor_(executor),
      installer_(installer) {}

Agent::~Agent() { Stop(); }

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, Executor& executor,
                                                     ClusterInstaller& installer) {
  std::error_code error;
  fs::create_directories(fs::path(options.state_dir) / "blobs", error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("create state folder '", options.state_dir, "': ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<Outbox>> outbox =
      Outbox::Open((fs::path(options.state_dir) / "outbox.db").string());
  if (!outbox.ok()) return outbox.status();
  return std::make_unique<Agent>(std::move(options), std::move(*outbox), executor, installer);
}

absl::Status Agent::Start() {
  absl::Status recovered = executor_.Recover();
  if (!recovered.ok()) {
    log::Error("agent: recovering jobs of the previous run failed because {}", recovered.message());
  }
  if (options_.forget_finished_jobs) WatchUnsentFinalStatuses();
  launcher_ = std::thread([this] { RunLauncher(); });
  reconcile_loop_ = std::thread([this] { RunReconcileLoop(); });
  cleaner_ = std::thread([this] { RunCleaner(); });
  RelayClient::Options relay_options;
  relay_options.connection = options_.connection;
  relay_options.http = options_.http;
  relay_options.heartbeat_interval = options_.heartbeat_interval;
  relay_ = std::make_unique<RelayClient>(
      relay_options, *outbox_, [this] { return BuildHello(); },
      [this](const std::string& frame) { HandleFrame(frame); },
      [this] { return BuildHeartbeat(); },
      [this](const std::string& id) { OnAcknowledged(id); });
  relay_->Start();
  return absl::OkStatus();
}

void Agent::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (relay_) relay_->Stop();
  if (launcher_.joinable()) launcher_.join();
  if (reconcile_loop_.joinable()) reconcile_loop_.join();
  {
    std::lock_guard<std::mutex> lock(cleaner_mutex_);
    cleaner_stopping_ = true;
  }
  cleaner_wake_.notify_all();
  if (cleaner_.joinable()) cleaner_.join();
}

std::string Agent::BuildHello() {
  json jobs = json::array();
  for (const JobState& state : executor_.Inventory()) {
    json entry = {{"job", state.job_id}, {"status", state.status}};
    if (state.exit_code) entry["exitCode"] = *state.exit_code;
    if (state.signal) entry["signal"] = *state.signal;
    jobs.push_back(entry);
  }
  {
    // Jobs still waiting for their launch are held too: the server must not
    // call them lost.
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& job : pending_jobs_) {
      jobs.push_back({{"job", job}, {"status", "Preparing"}});
    }
  }
  json hello = {{"type", "hello"},
                {"agentVersion", kAgentVersion},
                {"executor", options_.executor_name},
                {"jobs", jobs}};
  absl::StatusOr<std::vector<NodeCapacity>> capacity = executor_.DiscoverCapacity();
  if (capacity.ok()) hello["capacity"] = CapacityToJson(*capacity);
  std::string job_namespace = executor_.JobNamespace();
  if (!job_namespace.empty()) hello["jobNamespace"] = job_namespace;
  return Dump(hello);
}

std::string Agent::BuildHeartbeat() {
  json heartbeat = {{"type", "heartbeat"}, {"time", NowMillis()}};
  return Dump(heartbeat);
}

void Agent::HandleFrame(const std::string& frame) {
  json message = json::parse(frame, nullptr, false);
  if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    log::Warning("relay: ignoring a malformed frame of {} bytes from the server", frame.size());
    return;
  }
  const std::string type = message["type"].get<std::string>();
  if (type == "extensions") {
    HandleExtensions(message);
  } else if (type == "assign") {
    HandleAssign(message);
  } else if (type == "cancel") {
    HandleCancel(message);
  } else if (type == "welcome" || type == "pong") {
    // Nothing to apply: they only prove the connection is alive.
  } else {
    log::Warning("relay: ignoring a frame of unknown type '{}'", type);
  }
}

void Agent::SendAck(const std::string& id) {
  relay_->SendUnreliable(Dump({{"type", "ack"}, {"id", id}}));
}

std::string Agent::Enqueue(const std::string& type, const json& message) {
  json body = message;
  body["type"] = type;
  return EnqueueEncoded(type, Dump(body));
}

std::string Agent::EnqueueEncoded(const std::string& type, std::string body) {
  absl::StatusOr<std::string> id = outbox_->Add(type, std::move(body));
  if (!id.ok()) {
    // The outbox is the agent's only memory of unsent events; without it an
    // event would be lost, so this is worth an operator's attention.
    log::Error("agent: {} message for the server was dropped because {}", type,
               id.status().message());
    return std::string();
  }
  if (relay_) relay_->NotifyOutbox();
  return *id;
}

void Agent::HandleExtensions(const json& frame) {
  std::lock_guard<std::mutex> lock(reconcile_mutex_);
  const json items = frame.value("items", json::array());
  std::vector<std::string> names;
  for (const json& item : items) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
      log::Warning("relay: ignoring an extension without a name");
      continue;
    }
    names.push_back(item["name"].get<std::string>());
    Enqueue("extensionStatus", {{"extension", names.back()},
                                {"installState", item.value("deleting", false) ? "Deleting" : "Installing"},
                                {"statuses", json::array()},
                                {"removed", false}});
    ExtensionReport report = ReconcileExtension(item);
    Enqueue("extensionStatus", ExtensionReportToJson(report));
  }
  extensions_.Retain(names);
  RefreshExtensionFlags();
  if (frame.contains("id") && frame["id"].is_string()) SendAck(frame["id"].get<std::string>());
}

ExtensionReport Agent::ReconcileExtension(const json& item) {
  ExtensionReport report = installer_.Reconcile(item);
  log::Info("extension {}: {}", report.extension, report.install_state);
  extensions_.Record(item, report);
  RefreshExtensionFlags();
  return report;
}

void Agent::RefreshExtensionFlags() {
  training_enabled_ = extensions_.training_enabled();
  log_shipping_enabled_ = extensions_.log_shipping_enabled();
}

void Agent::RunReconcileLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, options_.reconcile_interval, [this] { return stopping_; })) {
    lock.unlock();
    {
      std::lock_guard<std::mutex> reconcile_lock(reconcile_mutex_);
      // Readiness is a state the cluster reaches on its own (a DaemonSet's
      // pods start), so only a poll notices it; only changes are sent.
      for (const json& item : extensions_.Unsettled()) {
        ExtensionReport report = installer_.Reconcile(item);
        if (!extensions_.Changed(report)) continue;
        log::Info("extension {}: {}", report.extension, report.install_state);
        extensions_.Record(item, report);
        RefreshExtensionFlags();
        Enqueue("extensionStatus", ExtensionReportToJson(report));
      }
    }
    lock.lock();
  }
}

void Agent::HandleAssign(const json& frame) {
  const std::string id = frame.value("id", "");
  const json job = frame.value("job", json::object());
  const std::string job_id = job.is_object() ? job.value("jobId", "") : "";
  if (id.empty() || job_id.empty()) {
    log::Warning("relay: ignoring an assign frame without id or job.jobId");
    return;
  }
  if (!training_enabled_) {
    Enqueue("jobStatus", {{"job", job_id},
                          {"status", "Failed"},
                          {"message",
                           "training is not enabled on this cluster: update the extension with "
                           "--configuration-settings enableTraining=True"},
                          {"time", NowMillis()}});
    SendAck(id);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pending_jobs_.insert(job_id).second) return;  // already queued; ack comes after launch
    assignments_.push_back(frame);
  }
  wake_.notify_all();
}

void Agent::HandleCancel(const json& frame) {
  const std::string id = frame.value("id", "");
  const std::string job_id = frame.value("job", "");
  const std::string reason = frame.value("reason", "canceled by the user");
  bool was_pending = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = assignments_.begin(); it != assignments_.end(); ++it) {
      if ((*it)["job"].value("jobId", "") == job_id) {
        assignments_.erase(it);
        pending_jobs_.erase(job_id);
        was_pending = true;
        break;
      }
    }
  }
  if (was_pending) {
    Enqueue("jobStatus",
            {{"job", job_id}, {"status", "Canceled"}, {"message", reason}, {"time", NowMillis()}});
  } else {
    absl::Status canceled = executor_.Cancel(job_id, reason);
    if (!canceled.ok()) {
      log::Warning("[job {}] cancel failed because {}", job_id, canceled.message());
    }
  }
  if (!id.empty()) SendAck(id);
}

void Agent::RunLauncher() {
  while (true) {
    json frame;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !assignments_.empty(); });
      if (stopping_) return;
      frame = std::move(assignments_.front());
      assignments_.pop_front();
    }
    const std::string id = frame["id"].get<std::string>();
    const json& job = frame["job"];
    const std::string job_id = job["jobId"].get<std::string>();

    absl::StatusOr<LaunchSpec> spec = LaunchSpecFromJson(job);
    absl::Status launched = spec.status();
    if (spec.ok()) {
      const std::string digest = job.value("codeSnapshot", "");
      if (!digest.empty()) {
        absl::StatusOr<std::string> archive = FetchCodeSnapshot(digest);
        if (archive.ok()) {
          spec->code_archive = *archive;
        } else {
          launched = archive.status();
        }
      }
    }
    if (launched.ok() && !options_.python_client_dir.empty()) {
      std::string& path = spec->environment["PYTHONPATH"];
      const char* inherited = std::getenv("PYTHONPATH");
      if (path.empty() && inherited != nullptr) path = inherited;
      path = path.empty() ? options_.python_client_dir : options_.python_client_dir + ":" + path;
    }
    if (launched.ok()) launched = executor_.Launch(*spec);
    if (!launched.ok()) {
      log::Warning("[job {}] launch failed because {}", job_id, launched.message());
      Enqueue("jobStatus", {{"job", job_id},
                            {"status", "Failed"},
                            {"message", absl::StrCat("launch failed: ", launched.message())},
                            {"time", NowMillis()}});
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_jobs_.erase(job_id);
    }
    // Acknowledged only now: the executor has journaled the job (or its
    // failure is in the outbox), so a resent assignment cannot run it twice.
    SendAck(id);
  }
}

void Agent::OnStatus(const StatusEvent& event) {
  json message = {{"job", event.job_id},
                  {"status", event.status},
                  {"message", event.message},
                  {"time", event.time_ms ? event.time_ms : NowMillis()}};
  if (event.rank) message["rank"] = *event.rank;
  if (!event.node.empty()) message["node"] = event.node;
  if (event.exit_code) message["exitCode"] = *event.exit_code;
  if (event.signal) message["signal"] = *event.signal;
  absl::StatusOr<api::JobStatus> status = api::ParseJobStatus("status", event.status);
  bool final_status = options_.forget_finished_jobs && !event.rank && status.ok() &&
                      api::IsTerminal(*status);
  if (final_status) {
    // Holding cleaner_mutex_ records the id before its ack can be handled.
    std::lock_guard<std::mutex> lock(cleaner_mutex_);
    std::string id = Enqueue("jobStatus", message);
    if (!id.empty()) final_status_ids_[id] = event.job_id;
  } else {
    Enqueue("jobStatus", message);
  }
  if (!event.rank) log::Info("[job {}] {} {}", event.job_id, event.status, event.message);
}

void Agent::OnAcknowledged(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(cleaner_mutex_);
    auto final_status = final_status_ids_.find(id);
    if (final_status == final_status_ids_.end()) return;
    jobs_to_forget_.push_back(final_status->second);
    final_status_ids_.erase(final_status);
  }
  cleaner_wake_.notify_one();
}

// Registers the final statuses that the previous agent process left unsent,
// so their jobs are forgotten once the server acknowledges them. A finished
// job with nothing left in the outbox is forgotten now.
void Agent::WatchUnsentFinalStatuses() {
  // The inventory comes first: a job that ends after it registers its final
  // status itself, and one that ended before has that status in the outbox
  // read next, because nothing is acknowledged before the relay starts.
  std::vector<JobState> inventory = executor_.Inventory();
  std::vector<std::pair<int64_t, std::string>> pending = outbox_->Pending(0, SIZE_MAX);
  std::set<std::string> unsent_jobs;
  std::lock_guard<std::mutex> lock(cleaner_mutex_);
  for (const auto& [sequence, text] : pending) {
    json message = json::parse(text, nullptr, false);
    if (!message.is_object() || !message.contains("job") || !message["job"].is_string()) continue;
    const std::string job = message["job"].get<std::string>();
    unsent_jobs.insert(job);
    absl::StatusOr<api::JobStatus> status =
        api::ParseJobStatus("status", message.value("status", ""));
    if (message.value("type", "") == "jobStatus" && !message.contains("rank") && status.ok() &&
        api::IsTerminal(*status) && message.contains("id") && message["id"].is_string()) {
      final_status_ids_[message["id"].get<std::string>()] = job;
    }
  }
  for (const JobState& state : inventory) {
    absl::StatusOr<api::JobStatus> status = api::ParseJobStatus("status", state.status);
    if (status.ok() && api::IsTerminal(*status) && !unsent_jobs.contains(state.job_id)) {
      jobs_to_forget_.push_back(state.job_id);
    }
  }
}

void Agent::RunCleaner() {
  while (true) {
    std::string job_id;
    {
      std::unique_lock<std::mutex> lock(cleaner_mutex_);
      cleaner_wake_.wait(lock, [this] { return cleaner_stopping_ || !jobs_to_forget_.empty(); });
      if (cleaner_stopping_) return;
      job_id = std::move(jobs_to_forget_.front());
      jobs_to_forget_.pop_front();
    }
    executor_.Forget(job_id);
    log::Debug("[job {}] forgotten: the server has its final status", job_id);
  }
}

void Agent::OnLog(const LogChunk& chunk) {
  EnqueueEncoded("log", api::EncodeLogMessage(chunk.job_id, chunk.rank, chunk.stream,
                                               chunk.offset, chunk.lines));
  ShipLogs(chunk);
}

void Agent::ShipLogs(const LogChunk& chunk) {
  if (!log_shipping_enabled_) return;
  std::string folder = LogShippingFolder(options_.state_dir);
  std::string file = absl::StrReplaceAll(chunk.job_id, {{"/", "_"}}) + ".jsonl";
  std::ofstream out(fs::path(folder) / file, std::ios::app);
  for (const auto& [time, text] : chunk.lines) {
    out << Dump({{"time", FormatRfc3339(time)},
                 {"job", chunk.job_id},
                 {"rank", chunk.rank},
                 {"stream", chunk.stream},
                 {"text", text}})
        << '\n';
  }
}

absl::Status Agent::UploadOutput(const std::string& job_id, const std::string& name,
                                 const std::string& folder) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    absl::StatusOr<std::string> digest = UploadBlob(it->path().string());
    if (!digest.ok()) {
      return absl::Status(digest.status().code(),
                          absl::StrCat("upload output '", name, "' file '",
                                       it->path().string(), "': ", digest.status().message()));
    }
    std::string relative = (fs::path(name) / fs::relative(it->path(), folder)).string();
    Enqueue("artifact", {{"job", job_id},
                         {"path", relative},
                         {"digest", *digest},
                         {"size", static_cast<int64_t>(it->file_size())}});
  }
  if (error) {
    return absl::InternalError(
        absl::StrCat("read output folder '", folder, "': ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Agent::FetchCodeSnapshot(const std::string& digest) {
  if (digest.rfind("sha256:", 0) != 0 || digest.size() != 7 + 64 ||
      digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("code snapshot digest '", digest, "' is not sha256:<64 hex digits>"));
  }
  fs::path cached = fs::path(options_.state_dir) / "blobs" / (digest.substr(7) + ".tar");
  if (fs::exists(cached)) return cached.string();

  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> client,
                   http::Client::Create(options_.connection.endpoint, options_.http));
  ASSIGN_OR_RETURN(http::Response response,
                   client->Send("GET", "/api/v1/blobs/" + digest, {}, "application/json",
                                {{"Authorization", "Bearer " + options_.connection.credential},
                                 {"X-Trainyard-Cluster", options_.connection.cluster_id}}));
  if (response.status != 200) {
    return absl::UnavailableError(absl::StrCat("fetch code snapshot ", digest, ": HTTP ",
                                               response.status, " ", response.body.substr(0, 200)));
  }
  if (Sha256Digest(response.body) != digest) {
    return absl::DataLossError(
        absl::StrCat("code snapshot ", digest, " arrived with different content"));
  }
  // Written under a temporary name and renamed, so a crash never leaves a
  // truncated archive that a later launch would trust.
  fs::path partial = cached;
  partial += ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(response.body.data(), static_cast<std::streamsize>(response.body.size()));
    if (!out) return absl::InternalError(absl::StrCat("write '", partial.string(), "' failed"));
  }
  std::error_code error;
  fs::rename(partial, cached, error);
  if (error) return absl::InternalError(absl::StrCat("rename '", partial.string(), "': ", error.message()));
  return cached.string();
}

absl::StatusOr<std::string> Agent::UploadBlob(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("open '", path, "' failed"));
  std::ostringstream content;
  content << in.rdbuf();
  ASSIGN_OR_RETURN(std::unique_ptr<http::Client> client,
                   http::Client::Create(options_.connection.endpoint, options_.http));
  ASSIGN_OR_RETURN(http::Response response,
                   client->Send("POST", "/api/v1/blobs", content.str(), "application/octet-stream",
                                {{"Authorization", "Bearer " + options_.connection.credential},
                                 {"X-Trainyard-Cluster", options_.connection.cluster_id}}));
  if (response.status != 200 && response.status != 201) {
    return absl::UnavailableError(
        absl::StrCat("HTTP ", response.status, " ", response.body.substr(0, 200)));
  }
  json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("digest") || !body["digest"].is_string()) {
    return absl::InternalError("the server's blob response has no digest");
  }
  return body["digest"].get<std::string>();
}

}  // namespace ty::agent
