// The web page's files: content types, caching headers, no token needed,
// and the API still behind the token.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "server/api_test_fixture.h"
#include "server/web_assets.h"

namespace ty::server {
namespace {

class WebRoutesTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    web_dir_ = dir_.path() / "web";
    std::filesystem::create_directories(web_dir_ / "assets");
    std::ofstream(web_dir_ / "index.html") << "<!doctype html><title>Trainyard</title>";
    std::ofstream(web_dir_ / "assets" / "app-ABCD1234.js") << "console.log(1)";
    std::ofstream(web_dir_ / "assets" / "app-ABCD1234.css") << "body{}";
    Rebuild(web_dir_.string());
  }

  void Rebuild(std::string web_dir) {
    context_->settings.web_dir = std::move(web_dir);
    router_ = BuildApiRouter(*context_);
    handler_ = MakeApiHandler(*router_, std::string(kTestToken));
  }

  http::Response Get(std::string path, std::map<std::string, std::string> headers = {}) {
    http::Request request;
    request.method = "GET";
    request.target = path;
    request.path = path;
    request.headers = std::move(headers);
    return handler_(request);
  }

  std::filesystem::path web_dir_;
};

TEST_F(WebRoutesTest, IndexIsServedWithoutTokenAndRevalidated) {
  http::Response index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>Trainyard</title>");
  EXPECT_EQ(index.Header("cache-control"), "no-cache");
  EXPECT_NE(index.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
  std::string etag = index.Header("etag");
  ASSERT_FALSE(etag.empty());

  http::Response again = Get("/", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/index.html").body, index.body);
}

TEST_F(WebRoutesTest, HashedAssetsAreImmutable) {
  http::Response script = Get("/assets/app-ABCD1234.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.Header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(script.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(Get("/assets/app-ABCD1234.css").content_type, "text/css; charset=utf-8");

  http::Response missing = Get("/assets/app-OLD.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("reload the page"), std::string::npos);
  EXPECT_EQ(Get("/assets/..%2Findex.html").status, 404);
}

TEST_F(WebRoutesTest, ApiStillNeedsToken) {
  EXPECT_EQ(Get("/api/v1/locations").status, 401);
  EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST_F(WebRoutesTest, MissingFolderExplainsHowToBuild) {
  Rebuild((dir_.path() / "nowhere").string());
  http::Response index = Get("/");
  EXPECT_EQ(index.status, 404);
  EXPECT_NE(index.body.find("--target web"), std::string::npos) << index.body;
}

TEST(WebAssetsTest, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.js.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace ty::server
