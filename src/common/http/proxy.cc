// ProxyFor: proxy selection from the conventional environment variables.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http/url.h"
#include "common/http/client.h"

namespace ty::http {
namespace {

// Returns the first of the variables that is set and non-empty. Lowercase
// names come first, as in curl and Python's urllib.
std::string GetEnv(const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return "";
}

// Removes `prefix` from the front of `text` when present; returns whether it did.
bool ConsumePrefix(std::string_view* text, std::string_view prefix) {
  if (!text->starts_with(prefix)) return false;
  text->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* text, std::string_view suffix) {
  if (!text->ends_with(suffix)) return false;
  text->remove_suffix(suffix.size());
  return true;
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;

  std::string address(host);
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z is IPv4 loopback written as IPv6.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

// Matches `host` against one NO_PROXY entry: "example.com", ".example.com"
// and "*.example.com" all cover example.com and its subdomains. A port in
// the entry ("example.com:8080") is ignored.
bool MatchesNoProxyEntry(std::string_view host, std::string_view entry) {
  if (ConsumePrefix(&entry, "[")) {
    entry = entry.substr(0, entry.find(']'));
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    entry = entry.substr(0, entry.find(':'));
  }
  ConsumePrefix(&entry, "*");
  ConsumePrefix(&entry, ".");
  if (entry.empty()) return false;
  if (host == entry) return true;
  return host.size() > entry.size() && host.ends_with(entry) &&
         host[host.size() - entry.size() - 1] == '.';
}

}  // namespace

std::string ProxyFor(std::string_view scheme, std::string_view host) {
  std::string normalized = ToLower(host);
  std::string_view bare = normalized;
  if (ConsumePrefix(&bare, "[")) ConsumeSuffix(&bare, "]");
  ConsumeSuffix(&bare, ".");  // "example.com." is the same host
  if (IsLoopback(bare)) return "";

  std::string lower_scheme = ToLower(scheme);
  bool secure = lower_scheme == "https" || lower_scheme == "wss";
  std::string proxy =
      secure ? GetEnv("https_proxy", "HTTPS_PROXY") : GetEnv("http_proxy", "HTTP_PROXY");
  if (proxy.empty()) return "";

  std::string no_proxy = ToLower(GetEnv("no_proxy", "NO_PROXY"));
  std::string_view rest = no_proxy;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view entry = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    size_t first = entry.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    entry = entry.substr(first, entry.find_last_not_of(" \t") - first + 1);
    if (entry == "*") return "";
    if (MatchesNoProxyEntry(bare, entry)) return "";
  }
  return proxy;
}

}  // namespace ty::http
