#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http/message.h"
#include "common/http/server.h"

namespace ty::http {

// Maps method and path patterns such as "/api/v1/groups/{group}" to
// handlers. A "{name}" segment matches one non-empty path segment and is
// stored in Request::params; a final "{name*}" matches the rest of the path.
// Add routes before serving; Dispatch is then thread-safe.
class Router {
 public:
  void Add(std::string_view method, std::string_view pattern, Handler handler);

  // Runs the matching handler. Returns 404 for an unknown path and 405 with
  // an Allow header when the path exists under other methods. Both use the
  // JSON error body shape {"error": {"code", "message"}}.
  Response Dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace ty::http
