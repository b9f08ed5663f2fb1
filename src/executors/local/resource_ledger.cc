#include "executors/local/resource_ledger.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "absl/strings/str_join.h"

namespace ty::executors::local {
namespace {

std::string Gib(int64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

std::string Plural(int count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

}  // namespace

ResourceLedger::ResourceLedger(agent::NodeCapacity capacity) : capacity_(std::move(capacity)) {}

absl::Status ResourceLedger::CheckFits(const agent::LaunchSpec& spec) const {
  const agent::ResourceRequest& request = spec.resources;
  int instances = spec.instance_count;
  double cpus = request.cpus * instances;
  int64_t memory = request.memory_bytes * instances;
  int gpus = request.gpus * instances;

  if (request.gpus > 0 && capacity_.gpus.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "the job asks for {} but host '{}' has no schedulable GPUs: nvidia-smi is missing or "
        "lists none, so the NVIDIA driver or GPU discovery is not installed",
        Plural(gpus, "GPU"), capacity_.name));
  }
  if (gpus > static_cast<int>(capacity_.gpus.size())) {
    return absl::FailedPreconditionError(fmt::format(
        "the job asks for {} ({} x {} per instance) but host '{}' has {}", Plural(gpus, "GPU"),
        instances, request.gpus, capacity_.name, Plural(capacity_.gpus.size(), "GPU")));
  }
  if (cpus > capacity_.cpus) {
    return absl::FailedPreconditionError(
        fmt::format("the job asks for {} CPUs ({} x {} per instance) but host '{}' has {}", cpus,
                    instances, request.cpus, capacity_.name, capacity_.cpus));
  }
  if (memory > capacity_.memory_bytes) {
    return absl::FailedPreconditionError(fmt::format(
        "the job asks for {} of memory ({} x {} per instance) but host '{}' has {}", Gib(memory),
        instances, Gib(request.memory_bytes), capacity_.name, Gib(capacity_.memory_bytes)));
  }
  return absl::OkStatus();
}

std::vector<int> ResourceLedger::FreeGpus() const {
  std::set<int> used;
  for (const auto& [job_id, reservation] : reservations_) {
    for (const std::vector<int>& node : reservation.gpus_per_node) used.insert(node.begin(), node.end());
  }
  std::vector<int> free;
  for (const agent::GpuInfo& gpu : capacity_.gpus) {
    if (!used.contains(gpu.index)) free.push_back(gpu.index);
  }
  return free;
}

absl::StatusOr<Reservation> ResourceLedger::Reserve(const std::string& job_id,
                                                    const agent::LaunchSpec& spec) {
  if (reservations_.contains(job_id)) {
    return absl::AlreadyExistsError(fmt::format("job '{}' already has a reservation", job_id));
  }
  double used_cpus = 0;
  int64_t used_memory = 0;
  for (const auto& [other, reservation] : reservations_) {
    used_cpus += reservation.cpus;
    used_memory += reservation.memory_bytes;
  }

  Reservation wanted;
  wanted.cpus = spec.resources.cpus * spec.instance_count;
  wanted.memory_bytes = spec.resources.memory_bytes * spec.instance_count;
  int gpus = spec.resources.gpus * spec.instance_count;
  std::vector<int> free_gpus = FreeGpus();

  std::vector<std::string> shortfalls;
  if (used_cpus + wanted.cpus > capacity_.cpus) {
    shortfalls.push_back(fmt::format("{} CPU{} ({} of {} free)", wanted.cpus,
                                     wanted.cpus == 1 ? "" : "s", capacity_.cpus - used_cpus,
                                     capacity_.cpus));
  }
  if (used_memory + wanted.memory_bytes > capacity_.memory_bytes) {
    shortfalls.push_back(fmt::format("{} of memory ({} of {} free)", Gib(wanted.memory_bytes),
                                     Gib(capacity_.memory_bytes - used_memory),
                                     Gib(capacity_.memory_bytes)));
  }
  if (gpus > static_cast<int>(free_gpus.size())) {
    shortfalls.push_back(fmt::format("{} ({} of {} free)", Plural(gpus, "GPU"), free_gpus.size(),
                                     capacity_.gpus.size()));
  }
  if (!shortfalls.empty()) {
    return absl::ResourceExhaustedError(
        fmt::format("waiting for {} held by other jobs", absl::StrJoin(shortfalls, ", ")));
  }

  size_t next = 0;
  for (int node = 0; node < spec.instance_count; ++node) {
    wanted.gpus_per_node.emplace_back(free_gpus.begin() + next,
                                      free_gpus.begin() + next + spec.resources.gpus);
    next += spec.resources.gpus;
  }
  reservations_[job_id] = wanted;
  return wanted;
}

void ResourceLedger::Restore(const std::string& job_id, const Reservation& reservation) {
  reservations_[job_id] = reservation;
}

void ResourceLedger::Release(const std::string& job_id) { reservations_.erase(job_id); }

}  // namespace ty::executors::local
