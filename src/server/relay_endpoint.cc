#include "server/relay_endpoint.h"

namespace ty::server {

RelayService::RelayService(store::Database& database, store::Notifier& notifier,
                           RelayOptions options)
    : hub_(database, notifier, options), scheduler_(database, notifier, hub_, options.public_url) {}

RelayService::~RelayService() { Stop(); }

void RelayService::Start() { scheduler_.Start(); }

void RelayService::Stop() {
  scheduler_.Stop();
  hub_.Stop();
}

http::WebSocketFilter RelayService::Filter() {
  return [this](const http::Request& request) -> std::optional<http::Response> {
    if (request.path != "/api/v1/relay") {
      return http::ErrorResponse(404, "NotFound",
                                 "WebSocket upgrades are served only at /api/v1/relay");
    }
    return hub_.Screen(request);
  };
}

http::WebSocketHandler RelayService::Handler() {
  return [this](const http::Request& request, std::unique_ptr<http::WebSocket> socket) {
    hub_.Serve(request, std::move(socket));
  };
}

}  // namespace ty::server
