#include "common/http/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "absl/status/status.h"
#include "common/http/message.h"

namespace ty::http {
namespace {

uint16_t DefaultPort(std::string_view scheme) {
  return scheme == "https" || scheme == "wss" ? 443 : 80;
}

absl::Status InvalidUrl(std::string_view url, std::string_view reason) {
  return absl::InvalidArgumentError(
      Concat("invalid URL '", url, "': ", reason,
                   "; expected a form like 'https://host:port/path'"));
}

}  // namespace

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  Url result;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidUrl(url, "missing scheme");
  result.scheme = ToLower(url.substr(0, scheme_end));
  if (result.scheme != "http" && result.scheme != "https" && result.scheme != "ws" &&
      result.scheme != "wss") {
    return InvalidUrl(url, Concat("unsupported scheme '", result.scheme,
                                        "' (use http, https, ws or wss)"));
  }

  std::string_view rest = url.substr(scheme_end + 3);
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (size_t fragment = target.find('#'); fragment != std::string_view::npos) {
    target = target.substr(0, fragment);
  }
  result.target = target.empty() ? "/" : std::string(target);
  if (result.target[0] == '?') result.target.insert(0, "/");

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    result.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }

  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidUrl(url, "unterminated '[' in host");
    result.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidUrl(url, "unexpected text after ']'");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    result.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (result.host.empty()) return InvalidUrl(url, "missing host");
  result.host = ToLower(result.host);

  result.port = DefaultPort(result.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return InvalidUrl(url, Concat("invalid port '", port_text, "'"));
    }
    result.port = static_cast<uint16_t>(value);
  }
  return result;
}

std::string HostPort(const Url& url, bool omit_default_port) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (omit_default_port && url.port == DefaultPort(url.scheme)) return host;
  return Concat(host, ":", url.port);
}

void SplitTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query) {
  size_t question = target.find('?');
  *path = PercentDecode(target.substr(0, question));
  if (question == std::string_view::npos) return;

  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, equals));
    std::string value =
        equals == std::string_view::npos ? "" : PercentDecode(pair.substr(equals + 1));
    query->emplace(std::move(key), std::move(value));
  }
}

}  // namespace ty::http
