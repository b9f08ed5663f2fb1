#include "common/http/router.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>


namespace ty::http {
namespace {

// Splits a raw (still percent-encoded) path into segments. The leading '/'
// and one trailing '/' are dropped, so "/a/b/" and "/a/b" are the same path.
std::vector<std::string> SplitPath(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string> segments;
  if (path.empty()) return segments;
  for (;;) {
    size_t slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsRestParam(std::string_view segment) {
  return IsParam(segment) && segment[segment.size() - 2] == '*';
}

std::string ParamName(std::string_view segment) {
  segment = segment.substr(1, segment.size() - 2);
  if (!segment.empty() && segment.back() == '*') segment.remove_suffix(1);
  return std::string(segment);
}

// Matches raw path segments against a pattern. On success fills `params`
// with decoded values and returns the number of literal segments, which
// ranks overlapping routes; returns -1 when the path does not match.
int Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
          std::map<std::string, std::string>* params) {
  int literals = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& segment = pattern[i];
    if (IsRestParam(segment)) {
      if (i >= path.size()) return -1;
      std::string rest = path[i];
      for (size_t j = i + 1; j < path.size(); ++j) rest += "/" + path[j];
      (*params)[ParamName(segment)] = PercentDecode(rest);
      return literals;
    }
    if (i >= path.size()) return -1;
    std::string decoded = PercentDecode(path[i]);
    if (IsParam(segment)) {
      if (decoded.empty()) return -1;
      (*params)[ParamName(segment)] = std::move(decoded);
    } else if (decoded == segment) {
      ++literals;
    } else {
      return -1;
    }
  }
  return pattern.size() == path.size() ? literals : -1;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  routes_.push_back(Route{std::string(method), SplitPath(pattern), std::move(handler)});
}

Response Router::Dispatch(Request& request) const {
  // Match on the raw target so that an encoded '/' (%2F) stays inside its
  // segment; each segment is decoded after splitting.
  std::string_view raw = request.target.empty() ? std::string_view(request.path)
                                                : std::string_view(request.target);
  raw = raw.substr(0, raw.find('?'));
  std::vector<std::string> path = SplitPath(raw);

  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string> best_params;
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    int literals = Match(route.segments, path, &params);
    if (literals < 0) continue;
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
    // HEAD runs the GET handler; the server sends its headers only.
    bool method_matches = route.method == request.method ||
                          (request.method == "HEAD" && route.method == "GET");
    if (method_matches && literals > best_literals) {
      best = &route;
      best_literals = literals;
      best_params = std::move(params);
    }
  }

  if (best != nullptr) {
    for (auto& [name, value] : best_params) request.params[name] = std::move(value);
    return best->handler(request);
  }
  if (allowed.empty()) {
    return ErrorResponse(404, "NotFound",
                         "no route matches path '" + request.path + "'");
  }
  std::string allow;
  for (const std::string& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
  Response response = ErrorResponse(
      405, "MethodNotAllowed",
      "method '" + request.method + "' is not allowed on '" + request.path + "'; use " + allow);
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace ty::http
