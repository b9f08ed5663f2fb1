// Measures the floor under any job runner on this machine: fork, exec of
// /bin/true, and waitpid, with nothing else around them.
//
//   1. latency: `--jobs` spawns one after another, each timed from just
//      before fork() to waitpid() returning;
//   2. throughput: `--throughput-jobs` spawns shared by `--workers` threads,
//      each spawning and waiting in a loop; jobs/s over the whole run.
//
// Prints one JSON object on stdout; times are in milliseconds.
//
// Usage: spawn_floor [--jobs N] [--throughput-jobs N] [--workers N]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int jobs = 200;
  int throughput_jobs = 5000;
  int workers = 4;
};

bool ParsePositive(const char* text, int* value) {
  char* end = nullptr;
  long parsed = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || parsed < 1 || parsed > 10'000'000) return false;
  *value = static_cast<int>(parsed);
  return true;
}

bool ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    int* target = flag == "--jobs"              ? &options->jobs
                  : flag == "--throughput-jobs" ? &options->throughput_jobs
                  : flag == "--workers"         ? &options->workers
                                                : nullptr;
    if (target == nullptr) {
      std::fprintf(stderr, "spawn_floor: unknown flag '%s'; flags: --jobs N, "
                   "--throughput-jobs N, --workers N\n", flag.c_str());
      return false;
    }
    if (i + 1 >= argc || !ParsePositive(argv[i + 1], target)) {
      std::fprintf(stderr, "spawn_floor: %s needs a whole number from 1 to 10000000, got '%s'\n",
                   flag.c_str(), i + 1 < argc ? argv[i + 1] : "");
      return false;
    }
  }
  return true;
}

// Runs /bin/true and waits for it; false if fork, exec or the exit failed.
bool SpawnAndWait() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    char* const args[] = {const_cast<char*>("/bin/true"), nullptr};
    execv("/bin/true", args);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  return sorted[static_cast<size_t>(fraction * (sorted.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) return 2;

  std::vector<double> latencies;
  latencies.reserve(options.jobs);
  for (int i = 0; i < options.jobs; ++i) {
    auto started = Clock::now();
    if (!SpawnAndWait()) {
      std::fprintf(stderr, "spawn_floor: running /bin/true failed\n");
      return 1;
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
  }
  std::sort(latencies.begin(), latencies.end());

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int worker = 0; worker < options.workers; ++worker) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < options.throughput_jobs) {
        if (!SpawnAndWait()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  std::printf("{\"latency_ms\": {\"median\": %.4f, \"p95\": %.4f, \"jobs\": %d}, "
              "\"throughput_jobs_per_s\": {\"completed\": %.1f, \"jobs\": %d, \"workers\": %d, "
              "\"failures\": %d}}\n",
              Percentile(latencies, 0.5), Percentile(latencies, 0.95), options.jobs,
              options.throughput_jobs / seconds, options.throughput_jobs, options.workers,
              failures.load());
  return failures.load() == 0 ? 0 : 1;
}
