#pragma once

// Table output of jobs.

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ty::cli {

// Renders the main fields of one job.
std::string RenderJob(const nlohmann::json& job);

// Renders a list of jobs, one row each.
std::string RenderJobList(const nlohmann::json& jobs);

// Renders one job in full: fields, error, status history and nodes.
std::string RenderJobDetails(const nlohmann::json& job);

// Renders the metric summaries of a job's tracking run (GET .../jobs/{job}/metrics),
// one row per metric name.
std::string RenderMetrics(const nlohmann::json& summaries);

}  // namespace ty::cli
