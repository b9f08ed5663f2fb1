// Blobs: POST /api/v1/blobs and GET /api/v1/blobs/{digest}.

#include "common/status_macros.h"
#include "server/api_errors.h"
#include "server/route_util.h"
#include "server/routes.h"

namespace ty::server {
namespace {

absl::StatusOr<http::Response> UploadBlob(ServerContext& context, http::Request& request) {
  // The HTTP server has already rejected bodies over its limit with 413.
  ASSIGN_OR_RETURN(BlobInfo blob, context.blobs.Put(request.body));
  return JsonResponse(200, {{"digest", blob.digest}, {"size", blob.size}});
}

absl::StatusOr<http::Response> DownloadBlob(ServerContext& context, http::Request& request) {
  ASSIGN_OR_RETURN(std::string bytes, context.blobs.Get(request.Param("digest")));
  http::Response response;
  response.content_type = "application/octet-stream";
  response.body = std::move(bytes);
  return response;
}

}  // namespace

void RegisterBlobRoutes(http::Router& router, ServerContext& context) {
  router.Add("POST", "/api/v1/blobs", Bind(context, UploadBlob));
  router.Add("GET", "/api/v1/blobs/{digest}", Bind(context, DownloadBlob));
}

}  // namespace ty::server
