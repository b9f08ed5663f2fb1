#pragma once

// Registration of every REST resource's routes, one file per resource.
// api_server.cc calls each in turn; a new resource family adds its own
// Register function here.

#include "common/http/router.h"
#include "server/server_context.h"

namespace ty::server {

void RegisterHealthRoutes(http::Router& router, ServerContext& context);
void RegisterGroupRoutes(http::Router& router, ServerContext& context);
void RegisterClusterRoutes(http::Router& router, ServerContext& context);
void RegisterExtensionRoutes(http::Router& router, ServerContext& context);
void RegisterProvisionedRoutes(http::Router& router, ServerContext& context);
void RegisterWorkspaceRoutes(http::Router& router, ServerContext& context);
void RegisterComputeRoutes(http::Router& router, ServerContext& context);
void RegisterInstanceTypeRoutes(http::Router& router, ServerContext& context);
void RegisterBlobRoutes(http::Router& router, ServerContext& context);
void RegisterJobRoutes(http::Router& router, ServerContext& context);
void RegisterJobOutputRoutes(http::Router& router, ServerContext& context);
void RegisterTrackingRoutes(http::Router& router, ServerContext& context);
void RegisterMlflowRoutes(http::Router& router, ServerContext& context);
void RegisterMetricSeriesRoutes(http::Router& router, ServerContext& context);
void RegisterJobEventRoutes(http::Router& router, ServerContext& context);
void RegisterWebRoutes(http::Router& router, ServerContext& context);

}  // namespace ty::server
