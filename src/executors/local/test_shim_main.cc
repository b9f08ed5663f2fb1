// A stand-in for the trainyard binary in tests:
//   test_shim shim <rank folder>             runs a rank's shim, as `trainyard shim`
//   test_shim agent <work root> <job> <cmd>  runs a bare executor that recovers the work
//                                            root, launches the job unless it is held,
//                                            and prints what it reports until killed
// The agent mode lets a test kill a real executor process with SIGKILL.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "executors/local/local_executor.h"
#include "executors/local/shim.h"

namespace {

using namespace ty::executors::local;

// Prints one line per status event and per log line:
//   status <rank or -> <status>
//   log <rank> <stream> <offset> <text>
class PrintingListener : public ty::agent::ExecutorListener {
 public:
  void OnStatus(const ty::agent::StatusEvent& event) override {
    std::lock_guard lock(mu_);
    std::printf("status %s %s\n", event.rank ? std::to_string(*event.rank).c_str() : "-",
                event.status.c_str());
    std::fflush(stdout);
  }
  void OnLog(const ty::agent::LogChunk& chunk) override {
    std::lock_guard lock(mu_);
    int64_t offset = chunk.offset;
    for (const auto& [time_ms, text] : chunk.lines) {
      std::printf("log %d %s %lld %s\n", chunk.rank, chunk.stream.c_str(),
                  static_cast<long long>(offset), text.c_str());
      ++offset;
    }
    std::fflush(stdout);
  }
  absl::Status UploadOutput(const std::string&, const std::string&, const std::string&) override {
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
};

int RunAgent(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s agent <work root> <job id> <command>\n", argv[0]);
    return 2;
  }
  PrintingListener listener;
  LocalExecutorOptions options{.work_root = argv[2],
                               .shim_path = argv[0],
                               .grace_period = std::chrono::milliseconds(500),
                               .poll_interval = std::chrono::milliseconds(20),
                               .capacity = ty::agent::NodeCapacity{.name = "test-host", .cpus = 64}};
  LocalExecutor executor(options, &listener);
  if (absl::Status recovered = executor.Recover(); !recovered.ok()) {
    std::fprintf(stderr, "recover: %s\n", std::string(recovered.message()).c_str());
    return 1;
  }
  ty::agent::LaunchSpec spec;
  spec.job_id = argv[3];
  spec.command = argv[4];
  if (absl::Status launched = executor.Launch(spec); !launched.ok()) {
    std::fprintf(stderr, "launch: %s\n", std::string(launched.message()).c_str());
    return 1;
  }
  while (true) pause();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "agent") return RunAgent(argc, argv);
  return RunShim(argc, argv);
}
