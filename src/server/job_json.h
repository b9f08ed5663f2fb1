#pragma once

// The API shape of a job (docs/rest-api.md, Jobs): the resource envelope
// with the job's properties, history and nodes.

#include <vector>

#include <nlohmann/json.hpp>

#include "store/jobs.h"

namespace ty::server {

// Builds the job's JSON. History and nodes are included as given; lists pass
// empty vectors and get empty arrays.
nlohmann::json JobJson(const store::JobRecord& job,
                       const std::vector<store::JobHistoryEntry>& history,
                       const std::vector<store::JobNode>& nodes);

}  // namespace ty::server
