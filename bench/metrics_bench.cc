// Measures metric ingestion through the real REST API on loopback:
//   1. sustained points per second stored through POST .../metrics/batch,
//      with batches of 1000 points sent over keep-alive connections;
//   2. the latency of single POST .../metrics requests, one at a time.
//
// The server runs in this process with the production pieces: the SQLite
// store in WAL mode in a temporary folder, every route, bearer
// authentication and the HTTP server. The clients run in the same process
// and compete with the server for the same cores. By default each client
// cycles through 64 batch bodies built before the clock starts, so the
// figure is the server's; --build-json 1 builds every body while the clock
// runs, as a client logging live would.
//
// Usage: metrics_bench [--seconds S] [--connections N] [--single N]
//                      [--metrics-per-batch M] [--build-json 0|1]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/http/client.h"
#include "common/http/server.h"
#include "common/log.h"
#include "server/api_server.h"
#include "server/blob_store.h"
#include "store/jobs.h"
#include "store/resources.h"
#include "store/schema.h"
#include "store/temp_dir.h"
#include "store/tracking_runs.h"

namespace ty {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "bench-token";
constexpr int kPointsPerBatch = 1000;

struct Options {
  double seconds = 10;
  int connections = 2;
  int single_requests = 2000;
  int metrics_per_batch = 10;  // distinct names per batch; steps fill the rest
  bool build_json = false;     // build each body while the clock runs
};

constexpr int kPrebuiltBodies = 64;

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    double value = std::atof(argv[i + 1]);
    if (flag == "--seconds") options.seconds = value;
    else if (flag == "--connections") options.connections = static_cast<int>(value);
    else if (flag == "--single") options.single_requests = static_cast<int>(value);
    else if (flag == "--metrics-per-batch") options.metrics_per_batch = static_cast<int>(value);
    else if (flag == "--build-json") options.build_json = value != 0;
    else {
      std::fprintf(stderr, "unknown flag '%s'; see the usage at the top of metrics_bench.cc\n",
                   flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

// Creates a workspace and a job and returns the job's tracking run id.
std::string CreateRun(store::Database& database) {
  auto transaction = database.Begin();
  store::Resource group{.type = std::string(store::kResourceGroups), .resource_group = "rg",
                        .name = "rg"};
  (void)store::InsertResource(*transaction, group);
  store::Resource workspace{.type = std::string(store::kWorkspaces), .resource_group = "rg",
                            .parent_id = group.id, .name = "ws"};
  (void)store::InsertResource(*transaction, workspace);
  store::JobRecord job;
  job.workspace_id = workspace.id;
  job.resource_group = "rg";
  job.workspace = "ws";
  job.name = "bench";
  job.compute = "local";
  job.cluster_id = "/resourceGroups/rg/connectedClusters/c1";
  (void)store::InsertJob(*transaction, job);
  std::string run_id = store::EnsureJobRun(*transaction, job)->run_id;
  (void)transaction->Commit();
  return run_id;
}

// One batch: `names` metrics, each at consecutive steps from `first_step`.
std::string BatchBody(int connection, int64_t first_step, int names) {
  std::string body = R"({"metrics":[)";
  int steps = kPointsPerBatch / names;
  int64_t timestamp = 1733343206000 + first_step;
  for (int step = 0; step < steps; ++step) {
    for (int name = 0; name < names; ++name) {
      fmt::format_to(std::back_inserter(body),
                     R"({}{{"name":"conn{}/metric{}","value":{},"step":{},"timestamp":{}}})",
                     body.size() > 12 ? "," : "", connection, name, 0.5 + step * 1e-3,
                     first_step + step, timestamp + step);
    }
  }
  body += "]}";
  return body;
}

struct ThroughputResult {
  int64_t points = 0;
  int64_t failures = 0;
  double seconds = 0;
};

ThroughputResult MeasureThroughput(const std::string& url, const std::string& run_id,
                                   const Options& options) {
  std::atomic<int64_t> points{0};
  std::atomic<int64_t> failures{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(options.seconds);
  auto started = Clock::now();
  std::vector<std::thread> threads;
  std::string target = "/api/v1/runs/" + run_id + "/metrics/batch";
  http::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  for (int connection = 0; connection < options.connections; ++connection) {
    threads.emplace_back([&, connection] {
      auto client = http::Client::Create(url);
      int64_t step = 0;
      int steps_per_batch = kPointsPerBatch / options.metrics_per_batch;
      std::vector<std::string> prebuilt;
      for (int i = 0; !options.build_json && i < kPrebuiltBodies; ++i) {
        prebuilt.push_back(BatchBody(connection, i * steps_per_batch, options.metrics_per_batch));
      }
      for (int64_t sent = 0; Clock::now() < deadline; ++sent) {
        std::string built;
        if (options.build_json) built = BatchBody(connection, step, options.metrics_per_batch);
        const std::string& body = options.build_json ? built : prebuilt[sent % kPrebuiltBodies];
        step += steps_per_batch;
        auto response = (*client)->Send("POST", target, body, "application/json", headers);
        if (response.ok() && response->status == 200) {
          points += steps_per_batch * options.metrics_per_batch;
        } else {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return {points.load(), failures.load(), seconds};
}

std::vector<double> MeasureSingleLatencies(const std::string& url, const std::string& run_id,
                                           int requests) {
  auto client = http::Client::Create(url);
  http::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  std::string target = "/api/v1/runs/" + run_id + "/metrics";
  std::vector<double> latencies;
  latencies.reserve(requests);
  for (int i = 0; i < requests; ++i) {
    std::string body = fmt::format(R"({{"name":"single","value":{},"step":{}}})", i * 0.1, i);
    auto started = Clock::now();
    auto response = (*client)->Send("POST", target, body, "application/json", headers);
    double micros = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
    if (response.ok() && response->status == 200) latencies.push_back(micros);
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<size_t>(fraction * (sorted.size() - 1))];
}

int Run(const Options& options) {
  log::SetLevel(log::Level::kWarning);
  store::TempDir dir;
  auto database = store::OpenStore((dir.path() / "bench.db").string());
  if (!database.ok()) {
    std::fprintf(stderr, "open store failed: %s\n", std::string(database.status().message()).c_str());
    return 1;
  }
  std::string run_id = CreateRun(**database);
  store::Notifier notifier;
  server::BlobStore blobs(dir.path() / "blobs");
  server::ServerContext context{**database, notifier, blobs, {}};
  auto router = server::BuildApiRouter(context);
  auto http_server = http::Server::Start({}, server::MakeApiHandler(*router, kToken), nullptr);
  if (!http_server.ok()) {
    std::fprintf(stderr, "start server failed: %s\n",
                 std::string(http_server.status().message()).c_str());
    return 1;
  }
  std::string url = fmt::format("http://127.0.0.1:{}", (*http_server)->port());

  ThroughputResult throughput = MeasureThroughput(url, run_id, options);
  std::vector<double> latencies = MeasureSingleLatencies(url, run_id, options.single_requests);
  (*http_server)->Stop();

  std::printf("batch ingestion: %lld points in %.2f s = %.0f points/s (%d connections, "
              "%d points per batch, %d metric names per batch, bodies %s, %lld failed "
              "requests)\n",
              static_cast<long long>(throughput.points), throughput.seconds,
              throughput.points / throughput.seconds, options.connections, kPointsPerBatch,
              options.metrics_per_batch, options.build_json ? "built live" : "prebuilt",
              static_cast<long long>(throughput.failures));
  std::printf("single log-metric latency over %zu requests: median %.0f us, p90 %.0f us, "
              "p99 %.0f us\n",
              latencies.size(), Percentile(latencies, 0.5), Percentile(latencies, 0.9),
              Percentile(latencies, 0.99));
  return throughput.failures == 0 && !latencies.empty() ? 0 : 1;
}

}  // namespace
}  // namespace ty

int main(int argc, char** argv) { return ty::Run(ty::ParseOptions(argc, argv)); }
