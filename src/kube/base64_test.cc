#include "kube/base64.h"

#include <vector>

#include <gtest/gtest.h>

namespace ty::kube {
namespace {

TEST(Base64Test, RoundTripsEveryPaddingLength) {
  for (const std::string& text : std::vector<std::string>{"", "a", "ab", "abc", "abcd",
                                                        std::string("\0\xff\x10", 3)}) {
    auto decoded = Base64Decode(Base64Encode(text));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, text);
  }
}

TEST(Base64Test, IgnoresLineBreaks) {
  auto decoded = Base64Decode("aGVs\nbG8=\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "hello");
}

TEST(Base64Test, RejectsMalformedText) {
  EXPECT_EQ(Base64Decode("abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64Decode("ab!=").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ty::kube
