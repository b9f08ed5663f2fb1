#include "common/http/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ty::http {
namespace {

Request MakeRequest(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = PercentDecode(request.target.substr(0, request.target.find('?')));
  return request;
}

Response Named(std::string name) {
  Response response;
  response.body = std::move(name);
  return response;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/api/v1/groups/{group}", [](Request& r) { return Named("get " + r.Param("group")); });
    router_.Add("DELETE", "/api/v1/groups/{group}", [](Request&) { return Named("delete"); });
    router_.Add("GET", "/api/v1/groups/special", [](Request&) { return Named("special"); });
    router_.Add("GET", "/api/v1/blobs/{digest*}", [](Request& r) { return Named(r.Param("digest")); });
    router_.Add("GET", "/", [](Request&) { return Named("root"); });
  }

  Router router_;
};

TEST_F(RouterTest, MatchesAndDecodesParams) {
  Request request = MakeRequest("GET", "/api/v1/groups/my%20group%2Fx?x=1");
  Response response = router_.Dispatch(request);
  EXPECT_EQ(response.body, "get my group/x");
  EXPECT_EQ(request.Param("group"), "my group/x");
}

TEST_F(RouterTest, PrefersLiteralSegments) {
  Request request = MakeRequest("GET", "/api/v1/groups/special");
  EXPECT_EQ(router_.Dispatch(request).body, "special");
}

TEST_F(RouterTest, RestParamTakesRemainingPath) {
  Request request = MakeRequest("GET", "/api/v1/blobs/a/b%20c");
  EXPECT_EQ(router_.Dispatch(request).body, "a/b c");
  Request empty = MakeRequest("GET", "/api/v1/blobs");
  EXPECT_EQ(router_.Dispatch(empty).status, 404);
}

TEST_F(RouterTest, IgnoresTrailingSlashAndMatchesRoot) {
  Request request = MakeRequest("GET", "/api/v1/groups/g1/");
  EXPECT_EQ(router_.Dispatch(request).body, "get g1");
  Request root = MakeRequest("GET", "/");
  EXPECT_EQ(router_.Dispatch(root).body, "root");
}

TEST_F(RouterTest, UnknownPathIs404) {
  Request request = MakeRequest("GET", "/api/v1/nothing");
  Response response = router_.Dispatch(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "NotFound");
}

TEST_F(RouterTest, EmptyParamSegmentIs404) {
  Request request = MakeRequest("GET", "/api/v1/groups//");
  EXPECT_EQ(router_.Dispatch(request).status, 404);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Request request = MakeRequest("POST", "/api/v1/groups/g1");
  Response response = router_.Dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "DELETE, GET, HEAD");
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "MethodNotAllowed");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("POST"), std::string::npos);
}

}  // namespace
}  // namespace ty::http
