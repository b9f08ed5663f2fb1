#include "common/http/message.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/url.h"

namespace ty::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndKeepsPlus) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc+d"), "a b/c+d");
  EXPECT_EQ(PercentDecode("%41%6a"), "Aj");
}

TEST(PercentDecodeTest, KeepsInvalidEscapes) {
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
}

TEST(PercentEncodeTest, EncodesReservedCharacters) {
  EXPECT_EQ(PercentEncode("a b/c?d=e&f~g.h_i-j"), "a%20b%2Fc%3Fd%3De%26f~g.h_i-j");
  EXPECT_EQ(PercentDecode(PercentEncode("sha256:ab/\xff")), "sha256:ab/\xff");
}

TEST(ErrorResponseTest, BuildsEscapedJsonBody) {
  Response response = ErrorResponse(404, "NotFound", "job \"x\"\nnot found");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "NotFound");
  EXPECT_EQ(body["error"]["message"], "job \"x\"\nnot found");
}

TEST(ResponseTest, HeaderLookupIgnoresCase) {
  Response response;
  response.headers.emplace_back("X-Request-Id", "7");
  EXPECT_EQ(response.Header("x-request-id"), "7");
  EXPECT_EQ(response.Header("missing"), "");
}

TEST(RequestTest, AccessorsReturnFallbacks) {
  Request request;
  request.query["a"] = "1";
  EXPECT_EQ(request.Query("a"), "1");
  EXPECT_EQ(request.Query("b", "fallback"), "fallback");
  EXPECT_EQ(request.Header("authorization"), "");
  EXPECT_EQ(request.Param("group"), "");
}

TEST(SplitTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/a%20b/c?x=1&y=h%26i&flag&x=2&=", &path, &query);
  EXPECT_EQ(path, "/a b/c");
  EXPECT_EQ(query.at("x"), "1");
  EXPECT_EQ(query.at("y"), "h&i");
  EXPECT_EQ(query.at("flag"), "");
}

TEST(ParseUrlTest, SplitsHostPortAndTarget) {
  absl::StatusOr<Url> url = ParseUrl("HTTPS://user:pw@[::1]:8443/api?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/api?x=1");
  EXPECT_EQ(url->userinfo, "user:pw");
  EXPECT_EQ(HostPort(*url, true), "[::1]:8443");
}

TEST(ParseUrlTest, FillsDefaults) {
  absl::StatusOr<Url> url = ParseUrl("ws://Example.com");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(HostPort(*url, true), "example.com");
  EXPECT_EQ(HostPort(*url, false), "example.com:80");
}

TEST(ParseUrlTest, RejectsMalformedUrls) {
  for (const char* bad : {"127.0.0.1:80", "ftp://host", "http://", "http://host:0",
                          "http://host:70000", "http://host:x", "http://[::1"}) {
    EXPECT_EQ(ParseUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace ty::http
