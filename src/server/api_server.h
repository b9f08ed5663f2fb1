#pragma once

// The REST API as one HTTP handler: every resource's routes on one router,
// behind bearer-token authentication.

#include <memory>
#include <string>

#include "common/http/router.h"
#include "common/http/server.h"
#include "server/server_context.h"

namespace ty::server {

// Builds the router with the routes of every resource (routes.h).
std::unique_ptr<http::Router> BuildApiRouter(ServerContext& context);

// Returns the handler for http::Server. Every path except GET
// /api/v1/health and GETs outside /api/ (the web page's files) needs "Authorization: Bearer <admin_token>"; a missing or
// wrong token gets 401 Unauthenticated. Tokens are compared in constant
// time. With `job_tokens` set, a job token (server/tracking_auth.h) is also
// accepted on its run's tracking paths. `router` and `job_tokens` must
// outlive the handler.
http::Handler MakeApiHandler(const http::Router& router, std::string admin_token,
                             store::Database* job_tokens = nullptr);

}  // namespace ty::server
