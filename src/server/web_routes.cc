// The web page: GET / (index.html) and GET /assets/{file}, served without
// authentication because they hold no data; the page signs in with the API
// token and then uses the REST API like any client.

#include <memory>

#include "common/http/router.h"
#include "common/log.h"
#include "common/sha256.h"
#include "server/routes.h"
#include "server/web_assets.h"

namespace ty::server {
namespace {

// The page loads only its own scripts, so an injected <script> or inline
// handler in a job's data cannot run. Styles may be inline because the
// chart library positions its elements with style attributes.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'";

struct LoadedAssets {
  absl::StatusOr<WebAssets> assets;
  std::string index_etag;
};

http::Response AssetResponse(const LoadedAssets& loaded, const http::Request& request) {
  if (!loaded.assets.ok()) {
    return http::ErrorResponse(404, "NotFound", std::string(loaded.assets.status().message()));
  }
  std::string path = request.path == "/index.html" ? "/" : request.path;
  const WebAsset* asset = loaded.assets->Find(path);
  if (asset == nullptr) {
    return http::ErrorResponse(
        404, "NotFound",
        "web asset '" + request.path + "' not found; reload the page to get the current files");
  }

  http::Response response;
  response.content_type = asset->content_type;
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (asset->immutable) {
    response.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    response.body = asset->body;
    return response;
  }
  // index.html names the current hashed files, so browsers revalidate it on
  // every load; the ETag makes that a 304 when nothing changed.
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", loaded.index_etag);
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (request.Header("if-none-match") == loaded.index_etag) {
    response.status = 304;
    return response;
  }
  response.body = asset->body;
  return response;
}

}  // namespace

void RegisterWebRoutes(http::Router& router, ServerContext& context) {
  auto loaded = std::make_shared<LoadedAssets>();
  if (context.settings.web_dir.empty()) {
    loaded->assets = absl::NotFoundError("this server was started without a web page folder");
  } else {
    loaded->assets = WebAssets::Load(context.settings.web_dir);
  }
  if (loaded->assets.ok()) {
    const WebAsset* index = loaded->assets->Find("/");
    loaded->index_etag = "\"" + Sha256Hex(index->body).substr(0, 32) + "\"";
    log::Debug("web page: {} files loaded", loaded->assets->size());
  } else if (!context.settings.web_dir.empty()) {
    log::Warning("web page disabled: {}", loaded->assets.status().message());
  }
  http::Handler handler = [loaded](http::Request& request) {
    return AssetResponse(*loaded, request);
  };
  router.Add("GET", "/", handler);
  router.Add("GET", "/index.html", handler);
  router.Add("GET", "/assets/{file}", handler);
}

}  // namespace ty::server
