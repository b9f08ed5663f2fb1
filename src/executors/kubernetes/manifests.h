#pragma once

// The Kubernetes objects of one job: a batch/v1 Indexed Job with one pod per
// instance, a headless Service that gives each pod a stable DNS name, and a
// ConfigMap with the code snapshot that an init container unpacks.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "agent/executor.h"
#include "api/instance_type.h"
#include "executors/kubernetes/naming.h"

namespace ty::executors::kubernetes {

// The resources of each pod: the instance type's requests, limits, node
// selector and tolerations, copied as they are.
struct PodResources {
  api::ResourceList requests;
  api::ResourceList limits;
  std::map<std::string, std::string> node_selector;
  std::vector<api::Toleration> tolerations;
};

// Derives pod resources from a launch: requests and limits of cpu and
// memory as the instance type sets them, and GPUs as a limit (Kubernetes
// takes extended resources from limits).
PodResources PodResourcesFromLaunch(const agent::ResourceRequest& request);

// Settings of the cluster that every job shares.
struct ManifestOptions {
  std::string namespace_name = "trainyard";
  std::string owner = "default";  // the agent's kOwnerLabel value
  std::string default_image = "python:3.11-slim";  // for jobs without an environment
  std::string init_image = "busybox:1.36";         // unpacks the code snapshot
  std::string service_account;  // the pods' service account; empty: the namespace default
  std::map<std::string, std::string> node_selector;  // merged into every pod's selector
  nlohmann::json tolerations = nlohmann::json::array();  // added to every pod
  std::string cluster_domain = "cluster.local";
  int master_port = 29500;
  std::chrono::seconds grace_period{10};  // terminationGracePeriodSeconds
  // Finished Jobs and their pods are deleted this long after they end;
  // zero keeps them until the job is forgotten.
  std::chrono::seconds finished_ttl{std::chrono::hours(24)};
};

// Where pods find the job's files.
inline constexpr char kCodeDir[] = "/trainyard/code";
inline constexpr char kOutputsDir[] = "/trainyard/outputs";
inline constexpr char kSnapshotDir[] = "/trainyard/snapshot";
inline constexpr char kSnapshotKey[] = "code.tar";
inline constexpr char kMainContainer[] = "main";

// A ConfigMap is limited to 1 MiB, which the snapshot must fit in after
// base64 encoding.
inline constexpr size_t kMaxSnapshotBytes = 700 * 1024;

struct JobManifests {
  JobNames names;
  nlohmann::json job;                 // created suspended; see BuildJobManifests
  nlohmann::json service;             // ownerReferences added once the Job exists
  std::optional<nlohmann::json> code; // the ConfigMap, when the job has code
};

// Builds the objects of `spec`. `code_archive` is the snapshot's bytes
// (empty for none). The Job is created with `suspend: true`, so that no pod
// starts before the Service and ConfigMap exist. Every pod gets the
// instance type's requests, limits and node selector exactly, merged with
// the cluster's selector and kubernetes.io/os: linux, plus the distribution
// variables and the job's environment.
// Errors: kInvalidArgument for a bad distribution, a command reference
// that cannot be resolved, an input that is a path on the agent's host, or
// a snapshot over kMaxSnapshotBytes. kUnimplemented for multi-instance MPI.
absl::StatusOr<JobManifests> BuildJobManifests(const agent::LaunchSpec& spec,
                                               const PodResources& resources,
                                               const std::string& code_archive,
                                               const ManifestOptions& options);

// Returns `object` with an ownerReference to the Job, so Kubernetes deletes
// it with the Job.
nlohmann::json OwnedByJob(nlohmann::json object, const nlohmann::json& created_job);

}  // namespace ty::executors::kubernetes
