#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "common/http/client.h"

namespace ty::http {
namespace {

constexpr const char* kProxyVariables[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                                           "https_proxy", "NO_PROXY", "no_proxy"};

// Clears the proxy variables for one test and restores them afterwards.
class ProxyForTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kProxyVariables) {
      const char* value = std::getenv(name);
      if (value != nullptr) saved_.emplace_back(name, value);
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kProxyVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(ProxyForTest, NoVariablesMeansDirect) {
  EXPECT_EQ(ProxyFor("https", "example.com"), "");
  EXPECT_EQ(ProxyFor("http", "example.com"), "");
}

TEST_F(ProxyForTest, PicksVariableBySchemeAndPrefersLowercase) {
  setenv("HTTP_PROXY", "http://plain:3128", 1);
  setenv("HTTPS_PROXY", "http://secure:3128", 1);
  EXPECT_EQ(ProxyFor("http", "example.com"), "http://plain:3128");
  EXPECT_EQ(ProxyFor("ws", "example.com"), "http://plain:3128");
  EXPECT_EQ(ProxyFor("https", "example.com"), "http://secure:3128");
  EXPECT_EQ(ProxyFor("wss", "example.com"), "http://secure:3128");
  setenv("https_proxy", "http://lower:3128", 1);
  EXPECT_EQ(ProxyFor("https", "example.com"), "http://lower:3128");
}

// Verifies that loopback stays direct when proxies are set and NO_PROXY is not.
TEST_F(ProxyForTest, LoopbackIsAlwaysDirect) {
  setenv("HTTP_PROXY", "http://proxy:3128", 1);
  setenv("HTTPS_PROXY", "http://proxy:3128", 1);
  for (const char* host : {"localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.8.9.10",
                           "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    EXPECT_EQ(ProxyFor("http", host), "") << host;
    EXPECT_EQ(ProxyFor("https", host), "") << host;
  }
  EXPECT_EQ(ProxyFor("https", "128.0.0.1"), "http://proxy:3128");
  EXPECT_EQ(ProxyFor("https", "localhost.example.com"), "http://proxy:3128");
}

TEST_F(ProxyForTest, NoProxyMatchesDomainsAndSuffixes) {
  setenv("HTTPS_PROXY", "http://proxy:3128", 1);
  setenv("NO_PROXY", " internal.corp, .svc.local ,*.example.org,10.1.2.3,host:8080,[fd00::1]", 1);
  struct Case {
    const char* host;
    bool direct;
  } cases[] = {
      {"internal.corp", true},    {"a.internal.corp", true},   {"notinternal.corp", false},
      {"svc.local", true},        {"x.y.svc.local", true},     {"example.org", true},
      {"api.example.org", true},  {"example.com", false},      {"10.1.2.3", true},
      {"10.1.2.30", false},       {"host", true},              {"fd00::1", true},
      {"INTERNAL.CORP", true},    {"internal.corp.", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ProxyFor("https", c.host), c.direct ? "" : "http://proxy:3128") << c.host;
  }
}

TEST_F(ProxyForTest, NoProxyStarDisablesProxy) {
  setenv("https_proxy", "http://proxy:3128", 1);
  setenv("no_proxy", "*", 1);
  EXPECT_EQ(ProxyFor("https", "example.com"), "");
}

}  // namespace
}  // namespace ty::http
