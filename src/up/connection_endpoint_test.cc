#include "up/connection_endpoint.h"

#include <gtest/gtest.h>

namespace ty::up {
namespace {

TEST(WithEndpointTest, ReplacesOldAddress) {
  EXPECT_EQ(WithEndpoint("Endpoint=http://127.0.0.1:18741;Cluster=default/local;Credential=ab12",
                         "http://127.0.0.1:18742"),
            "Endpoint=http://127.0.0.1:18742;Cluster=default/local;Credential=ab12");
}

TEST(WithEndpointTest, SameAddressUnchanged) {
  std::string connection = "Endpoint=http://127.0.0.1:8080;Cluster=default/local;Credential=ab12";

  EXPECT_EQ(WithEndpoint(connection, "http://127.0.0.1:8080"), connection);
}

TEST(WithEndpointTest, KeepsPartOrder) {
  EXPECT_EQ(WithEndpoint("Cluster=g/c;Endpoint=http://old;Credential=ff", "http://new"),
            "Cluster=g/c;Endpoint=http://new;Credential=ff");
}

TEST(WithEndpointTest, AddsMissingEndpoint) {
  EXPECT_EQ(WithEndpoint("Cluster=g/c;Credential=ff", "http://new"),
            "Endpoint=http://new;Cluster=g/c;Credential=ff");
}

TEST(WithEndpointTest, DropsRepeatedEndpoint) {
  EXPECT_EQ(WithEndpoint("Endpoint=http://a;Endpoint=http://b;Cluster=g/c", "http://new"),
            "Endpoint=http://new;Cluster=g/c");
}

}  // namespace
}  // namespace ty::up
