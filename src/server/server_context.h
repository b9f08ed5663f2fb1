#pragma once

// What every route of the REST API shares: the store, the change notifier,
// the blob store and the server's settings. Owned by the server command,
// which outlives every request.

#include <string>
#include <vector>

#include "server/blob_store.h"
#include "store/database.h"
#include "store/notifier.h"

namespace ty::server {

// The version reported by GET /api/v1/health.
inline constexpr std::string_view kServerVersion = "0.1.0";

struct ServerSettings {
  std::vector<std::string> locations;  // supported locations, lowercase
  std::string public_url;              // how agents and jobs reach this server, no trailing '/'
  std::string web_dir;                 // the web page's files; empty: no web page
};

struct ServerContext {
  store::Database& database;
  store::Notifier& notifier;
  BlobStore& blobs;
  ServerSettings settings;
};

}  // namespace ty::server
