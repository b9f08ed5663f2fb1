#include "executors/local/gpu_discovery.h"

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "executors/local/file_util.h"
#include "executors/local/process_group.h"

namespace ty::executors::local {

absl::StatusOr<std::vector<agent::GpuInfo>> ParseNvidiaSmiCsv(const std::string& csv) {
  std::vector<agent::GpuInfo> gpus;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    agent::GpuInfo gpu;
    int64_t memory_mib = 0;
    bool parsed = fields.size() == 3 &&
                  absl::SimpleAtoi(absl::StripAsciiWhitespace(fields[0]), &gpu.index) &&
                  absl::SimpleAtoi(absl::StripAsciiWhitespace(fields[2]), &memory_mib);
    if (!parsed) {
      return absl::InvalidArgumentError(fmt::format(
          "unexpected nvidia-smi line '{}'; expected 'index, name, memory in MiB'",
          std::string(line)));
    }
    gpu.model = std::string(absl::StripAsciiWhitespace(fields[1]));
    gpu.memory_bytes = memory_mib * 1024 * 1024;
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

std::vector<agent::GpuInfo> DiscoverGpus(const std::string& nvidia_smi) {
  auto output = RunAndCapture(
      {nvidia_smi, "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"},
      std::chrono::seconds(20));
  if (!output.ok()) {
    ty::log::Info("no GPUs found because nvidia-smi gave no list: {}", output.status().message());
    return {};
  }
  auto gpus = ParseNvidiaSmiCsv(*output);
  if (!gpus.ok()) {
    ty::log::Warning("no GPUs found because nvidia-smi output could not be read: {}",
                     gpus.status().message());
    return {};
  }
  return *std::move(gpus);
}

double DiscoverCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  unsigned count = std::thread::hardware_concurrency();
  return count > 0 ? count : 1;
}

absl::StatusOr<int64_t> DiscoverMemoryBytes() {
  auto meminfo = ReadFile("/proc/meminfo");
  if (!meminfo.ok()) {
    return absl::InternalError(fmt::format("read host memory: {}", meminfo.status().message()));
  }
  for (absl::string_view line : absl::StrSplit(*meminfo, '\n')) {
    if (!absl::StartsWith(line, "MemTotal:")) continue;
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(9));
    int64_t kib = 0;
    if (absl::EndsWith(value, " kB") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(value.substr(0, value.size() - 3)), &kib)) {
      return kib * 1024;
    }
  }
  return absl::InternalError("read host memory: /proc/meminfo has no readable MemTotal line");
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace ty::executors::local
