#include "server/api_server.h"

#include <openssl/crypto.h>

#include "common/sha256.h"
#include "server/api_errors.h"
#include "server/routes.h"

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

bool IsPublic(const http::Request& request) {
  return request.method == "GET" && (request.path == "/api/v1/health" ||
                                     request.path == "/api/v1/health/");
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
  return router;
}

http::Handler MakeApiHandler(const http::Router& router, std::string admin_token) {
  std::string token_hash = Sha256Hex(admin_token);
  return [&router, token_hash](http::Request& request) -> http::Response {
    if (!IsPublic(request)) {
      std::string authorization = request.Header("authorization");
      bool bearer = authorization.compare(0, kBearerPrefix.size(), kBearerPrefix) == 0;
      std::string_view token = std::string_view(authorization).substr(bearer ? kBearerPrefix.size() : 0);
      // TODO: accept job tokens on the tracking paths once the tracking
      // routes land; today only the admin token authenticates.
      if (!bearer || token.empty() || !TokenMatches(token, token_hash)) {
        return ErrorResponse(absl::UnauthenticatedError(
            "missing or wrong API token; send \"Authorization: Bearer <token>\" with the token "
            "from the server's admin-token file"));
      }
    }
    return router.Dispatch(request);
  };
}

}  // namespace ty::server
