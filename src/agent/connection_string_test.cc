#include "agent/connection_string.h"

#include <gtest/gtest.h>

namespace ty::agent {
namespace {

TEST(ConnectionString, ParsesAllKeys) {
  absl::StatusOr<ConnectionString> parsed = ParseConnectionString(
      "Endpoint=http://127.0.0.1:8080/;Cluster=rg/c1;Credential=abc123\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(parsed->cluster_id, "rg/c1");
  EXPECT_EQ(parsed->credential, "abc123");
}

TEST(ConnectionString, KeysAreCaseInsensitive) {
  absl::StatusOr<ConnectionString> parsed =
      ParseConnectionString("credential=x;ENDPOINT=https://h:1;cluster=g/c");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->endpoint, "https://h:1");
}

TEST(ConnectionString, RejectsMalformedInput) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"", "missing Endpoint"},
           {"Endpoint=ftp://h;Cluster=g/c;Credential=x", "must start with http://"},
           {"Endpoint=http://h;Cluster=c;Credential=x", "<group>/<cluster>"},
           {"Endpoint=http://h;Cluster=g/c", "missing Credential"},
           {"Endpoint=http://h;Cluster=g/c;Credential=x;Colour=red", "unknown key 'colour'"},
           {"Endpoint=http://h;garbage", "has no '='"},
       }) {
    absl::StatusOr<ConnectionString> parsed = ParseConnectionString(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(parsed.status().message().find(c.expected), std::string::npos)
        << c.text << " -> " << parsed.status().message();
  }
}

}  // namespace
}  // namespace ty::agent
