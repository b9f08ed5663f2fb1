#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ty::http {

// An HTTP request as handlers see it. Header names are lowercase.
struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // raw request target, "/a/b?x=1"
  std::string path;                           // percent-decoded path without the query
  std::map<std::string, std::string> query;   // percent-decoded query parameters
  std::map<std::string, std::string> headers; // lowercase names
  std::map<std::string, std::string> params;  // path parameters filled by the router
  std::string body;
  std::string remote_address;                 // "127.0.0.1:53412"

  // Returns the header value, or "" when absent. `name` must be lowercase.
  std::string Header(std::string_view name) const;
  // Returns the query parameter, or `fallback` when absent.
  std::string Query(std::string_view name, std::string_view fallback = "") const;
  std::string Param(std::string_view name) const;
};

// Sends one piece of a streamed response body. Returns false once the peer
// is gone or the write timed out; the stream should then stop.
using ChunkWriter = std::function<bool(std::string_view data)>;

// An HTTP response. `headers` are added after Content-Type and Content-Length.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, `body` is ignored: the server sends the header with chunked
  // transfer encoding, then calls `stream` on the connection's thread, which
  // writes the body piece by piece (server-sent events, followed logs) and
  // returns when it is done. The connection closes afterwards. Like any
  // handler, `stream` must return once the server stops.
  std::function<void(const ChunkWriter& write)> stream;

  // Returns the header value (case-insensitive name), or "" when absent.
  std::string Header(std::string_view name) const;
};

// Extra request headers for clients.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Percent-decodes `text`; '+' stays '+'. Invalid escapes are kept verbatim.
std::string PercentDecode(std::string_view text);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string PercentEncode(std::string_view text);

// Builds a response with the project's JSON error body
// {"error": {"code": `code`, "message": `message`}}; `code` is an absl status
// code name such as "NotFound".
Response ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace ty::http
