#include "api/locations.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::api {
namespace {

TEST(LocationsTest, DefaultListMatchesDocumentation) {
  const std::vector<std::string> kExpected = {
      "eastus",        "eastus2",       "westus",        "westus2",
      "westus3",       "centralus",     "northeurope",   "westeurope",
      "uksouth",       "francecentral", "germanywestcentral", "swedencentral",
      "japaneast",     "koreacentral",  "southeastasia", "australiaeast",
      "canadacentral", "brazilsouth",   "local"};
  EXPECT_EQ(DefaultLocations(), kExpected);
}

TEST(LocationsTest, ParseLocationListTrimsAndLowercases) {
  absl::StatusOr<std::vector<std::string>> locations = ParseLocationList(" EastUS, westeurope ,local");
  ASSERT_TRUE(locations.ok()) << locations.status();
  EXPECT_EQ(*locations, (std::vector<std::string>{"eastus", "westeurope", "local"}));
}

TEST(LocationsTest, ParseLocationListRejectsBadLists) {
  for (std::string text : {"", "  ", "a,,b", "a,", "east-us", "a,b,A"}) {
    absl::StatusOr<std::vector<std::string>> locations = ParseLocationList(text);
    EXPECT_EQ(locations.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(ErrorField(locations.status()), "locations") << text;
  }
}

TEST(LocationsTest, ValidateLocationReturnsSupportedSpelling) {
  for (std::string value : {"eastus", "EastUS", "East US", "EASTUS"}) {
    absl::StatusOr<std::string> location = ValidateLocation("location", value, DefaultLocations());
    ASSERT_TRUE(location.ok()) << value;
    EXPECT_EQ(*location, "eastus");
  }
}

// Verifies that an unsupported location is named and every supported one listed.
TEST(LocationsTest, ValidateLocationNamesValueAndListsSupported) {
  std::vector<std::string> supported = {"eastus", "westeurope"};
  absl::StatusOr<std::string> location = ValidateLocation("location", "mars-north", supported);
  EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(location.status()), "location");
  EXPECT_EQ(location.status().message(),
            "location: unsupported location 'mars-north': use one of eastus, westeurope");
}

TEST(LocationsTest, ValidateLocationRejectsEmpty) {
  absl::StatusOr<std::string> location = ValidateLocation("location", "", {"eastus"});
  EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(location.status().message(), "location: missing location: use one of eastus");
}

TEST(LocationsTest, MismatchNamesBothLocations) {
  absl::Status status = LocationMismatchError("c1", "eastus", "ws", "westeurope");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorField(status), "clusterName");
  EXPECT_NE(status.message().find("'eastus'"), std::string_view::npos);
  EXPECT_NE(status.message().find("'westeurope'"), std::string_view::npos);
  EXPECT_NE(status.message().find("cluster 'c1'"), std::string_view::npos);
  EXPECT_NE(status.message().find("workspace 'ws'"), std::string_view::npos);
}

}  // namespace
}  // namespace ty::api
