#pragma once

// Private to src/common/http: URL and request-target parsing shared by the
// server, the client and the proxy logic.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <iterator>

#include <fmt/format.h>

#include "absl/status/statusor.h"

namespace ty::http {

// Concatenates the fmt-formatted `parts`. Debian's abseil has its own
// absl::string_view, so absl::StrCat does not take std::string_view.
template <class... Parts>
std::string Concat(const Parts&... parts) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", parts), ...);
  return out;
}

// Returns `text` with ASCII letters lowercased.
std::string ToLower(std::string_view text);

// An absolute URL split for dialling: "https://[::1]:8443/a?b=1" gives
// scheme "https", host "::1" (brackets removed), port 8443, target "/a?b=1".
struct Url {
  std::string scheme;  // lowercase
  std::string host;    // lowercase, IPv6 without brackets
  uint16_t port = 0;   // the scheme's default port when the URL has none
  std::string target;  // path and query, "/" when the URL has none
  std::string userinfo;  // "user:password" before '@', still percent-encoded

  bool secure() const { return scheme == "https" || scheme == "wss"; }
};

// Parses "scheme://[userinfo@]host[:port][/path][?query]" for the schemes
// http, https, ws and wss. kInvalidArgument names the URL and the fault.
absl::StatusOr<Url> ParseUrl(std::string_view url);

// Formats host and port for a Host header or a CONNECT target, bracketing
// IPv6 literals. With `omit_default_port` the port is left out when it is
// the scheme's default.
std::string HostPort(const Url& url, bool omit_default_port);

// Splits a request target into its percent-decoded path and query
// parameters. A repeated query key keeps its first value.
void SplitTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query);

}  // namespace ty::http
