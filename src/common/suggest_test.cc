#include "common/suggest.h"

#include <gtest/gtest.h>

namespace ty {
namespace {

TEST(ClosestMatch, SuggestsKeyWithTypo) {
  EXPECT_EQ(ClosestMatch("enableTrainning", {"enableTraining", "logAnalyticsWS"}),
            "enableTraining");
}

TEST(ClosestMatch, IgnoresCase) {
  EXPECT_EQ(ClosestMatch("ENABLETRAINING", {"enableTraining"}), "enableTraining");
}

TEST(ClosestMatch, NothingForUnrelatedInput) {
  EXPECT_EQ(ClosestMatch("colour", {"enableTraining", "volumePluginDir"}), std::nullopt);
}

}  // namespace
}  // namespace ty
