// GET /api/v1/health (no auth) and GET /api/v1/locations.

#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"

namespace ty::server {

void RegisterHealthRoutes(http::Router& router, ServerContext& context) {
  router.Add("GET", "/api/v1/health", Wrap([](http::Request&) -> absl::StatusOr<http::Response> {
               return JsonResponse(200, {{"status", "ok"}, {"version", kServerVersion}});
             }));
  router.Add("GET", "/api/v1/locations",
             Wrap([&context](http::Request&) -> absl::StatusOr<http::Response> {
               return JsonResponse(200, {{"items", context.settings.locations}});
             }));
}

}  // namespace ty::server
