#pragma once

// Names, labels and annotations that link Kubernetes objects to Trainyard
// jobs, so the executor finds its objects again after a restart.

#include <string>
#include <string_view>

namespace ty::executors::kubernetes {

inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";
inline constexpr char kManagedByValue[] = "trainyard";
// Which agent created the object, so agents sharing a namespace leave each
// other's jobs alone.
inline constexpr char kOwnerLabel[] = "trainyard.dev/owner";
// The Kubernetes name of the job the object belongs to.
inline constexpr char kJobLabel[] = "trainyard.dev/job";
inline constexpr char kJobIdAnnotation[] = "trainyard.dev/job-id";
// {"instances": N, "processesPerInstance": P, "outputs": [...]}: what the
// executor needs to follow an adopted job.
inline constexpr char kLayoutAnnotation[] = "trainyard.dev/layout";
// Set by the Job controller on each pod of an Indexed Job.
inline constexpr char kCompletionIndexAnnotation[] = "batch.kubernetes.io/job-completion-index";

// The Kubernetes names of one job's objects.
struct JobNames {
  std::string job;      // the Job
  std::string service;  // the headless Service for rank addressing (same name as the Job)
  std::string code;     // ConfigMap with the code snapshot
};

// Returns names derived from `job_id`: "ty-<last path segment, cleaned and
// cut to 40 characters>-<8 hex digits of its SHA-256>". They are valid DNS
// labels, and "<job>-<index>" pod host names stay within 63 characters.
JobNames NamesForJob(std::string_view job_id);

// Returns `text` as a valid label value: at most 63 characters of
// [A-Za-z0-9._-], starting and ending alphanumeric ("x" when none is left).
std::string LabelValue(std::string_view text);

// The label selector of every object that the agent `owner` manages.
std::string OwnedSelector(std::string_view owner);

}  // namespace ty::executors::kubernetes
