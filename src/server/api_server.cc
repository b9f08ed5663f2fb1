#include "server/api_server.h"

#include <openssl/crypto.h>

#include "common/sha256.h"
#include "server/api_errors.h"
#include "server/routes.h"
#include "server/tracking_auth.h"
#include "store/clusters.h"

namespace ty::server {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

// Compares hashes rather than the tokens, so the comparison takes the same
// time whatever the length of the token sent.
bool TokenMatches(std::string_view sent, const std::string& expected_hash) {
  std::string hash = Sha256Hex(sent);
  return hash.size() == expected_hash.size() &&
         CRYPTO_memcmp(hash.data(), expected_hash.data(), hash.size()) == 0;
}

// The health check and the web page's files, which contain no data. The page
// requests the token from the user and sends it with its API calls.
bool IsPublic(const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  if (request.path.rfind("/api/", 0) != 0) return true;
  return request.path == "/api/v1/health" || request.path == "/api/v1/health/";
}

// Agents fetch code snapshots and upload job outputs as blobs with their
// cluster credential, which is good for nothing else.
bool IsAgentBlobRequest(const http::Request& request) {
  if (request.Header("x-trainyard-cluster").empty()) return false;
  if (request.method == "POST") return request.path == "/api/v1/blobs";
  return request.method == "GET" && request.path.rfind("/api/v1/blobs/", 0) == 0;
}

}  // namespace

std::unique_ptr<http::Router> BuildApiRouter(ServerContext& context) {
  auto router = std::make_unique<http::Router>();
  RegisterHealthRoutes(*router, context);
  RegisterGroupRoutes(*router, context);
  RegisterClusterRoutes(*router, context);
  RegisterExtensionRoutes(*router, context);
  RegisterProvisionedRoutes(*router, context);
  RegisterWorkspaceRoutes(*router, context);
  RegisterComputeRoutes(*router, context);
  RegisterInstanceTypeRoutes(*router, context);
  RegisterBlobRoutes(*router, context);
  RegisterJobRoutes(*router, context);
  RegisterJobOutputRoutes(*router, context);
  RegisterTrackingRoutes(*router, context);
  RegisterMlflowRoutes(*router, context);
  RegisterMetricSeriesRoutes(*router, context);
  RegisterJobEventRoutes(*router, context);
  RegisterWebRoutes(*router, context);
  return router;
}

http::Handler MakeApiHandler(const http::Router& router, std::string admin_token,
                             store::Database* job_tokens) {
  std::string token_hash = Sha256Hex(admin_token);
  return [&router, token_hash, job_tokens](http::Request& request) -> http::Response {
    if (!IsPublic(request)) {
      std::string authorization = request.Header("authorization");
      bool bearer = authorization.compare(0, kBearerPrefix.size(), kBearerPrefix) == 0;
      std::string_view token = std::string_view(authorization).substr(bearer ? kBearerPrefix.size() : 0);
      request.headers.erase(kJobTokenRunHeader);
      if (!bearer || token.empty() || !TokenMatches(token, token_hash)) {
        // Not the admin token; a job token is good for its run's tracking paths.
        absl::Status status = absl::UnauthenticatedError(
            "missing or wrong API token; send \"Authorization: Bearer <token>\" with the token "
            "from the server's admin-token file");
        if (bearer && !token.empty() && job_tokens != nullptr) {
          status = IsAgentBlobRequest(request)
                       ? store::AuthenticateCluster(*job_tokens, request.Header("x-trainyard-cluster"),
                                                    token)
                             .status()
                       : AuthenticateJobToken(*job_tokens, request, token);
        }
        if (!status.ok()) return AuthErrorResponse(request, status);
      }
    }
    return router.Dispatch(request);
  };
}

}  // namespace ty::server
