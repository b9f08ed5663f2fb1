#include "api/quantity.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "common/errors.h"

namespace ty::api {
namespace {

struct Parsed {
  std::string text;
  int64_t value;
};

TEST(QuantityTest, ParsesCpu) {
  const Parsed kCases[] = {
      {"4", 4000},    {"500m", 500},  {"0.5", 500},    {".5", 500},   {"1.", 1000},
      {"+2", 2000},   {"100u", 1},    {"1e3", 1000000}, {"2k", 2000000}, {"0", 0},
      {"0.0001", 1},  {"1E-3", 1},    {"250m", 250},   {"64", 64000}, {"0000.25", 250},
  };
  for (const Parsed& c : kCases) {
    absl::StatusOr<int64_t> millis = ParseCpuMillis("cpu", c.text);
    ASSERT_TRUE(millis.ok()) << c.text << ": " << millis.status();
    EXPECT_EQ(*millis, c.value) << c.text;
  }
}

TEST(QuantityTest, ParsesMemory) {
  const Parsed kCases[] = {
      {"16Gi", int64_t{16} << 30}, {"1G", 1000000000},        {"100Mi", int64_t{100} << 20},
      {"2k", 2000},                {"1.5Gi", int64_t{3} << 29}, {"1Ei", int64_t{1} << 60},
      {"128974848", 128974848},    {"129e6", 129000000},      {"1Ki", 1024},
      {"0.5", 1},                  {"1E", 1000000000000000000},
  };
  for (const Parsed& c : kCases) {
    absl::StatusOr<int64_t> bytes = ParseMemoryBytes("memory", c.text);
    ASSERT_TRUE(bytes.ok()) << c.text << ": " << bytes.status();
    EXPECT_EQ(*bytes, c.value) << c.text;
  }
}

struct Bad {
  std::string text;
  std::string message;
};

TEST(QuantityTest, RejectsBadCpu) {
  const Bad kCases[] = {
      {"", "resources.requests.cpu: missing quantity: use a number with an optional suffix (m, "
           "k, M, G, T, Ki, Mi, Gi, Ti), such as '500m', '2', '16Gi'"},
      {"-1", "resources.requests.cpu: negative quantity '-1': use 0 or more"},
      {"abc", "resources.requests.cpu: invalid quantity 'abc': use a number with an optional "
              "suffix (m, k, M, G, T, Ki, Mi, Gi, Ti), such as '500m', '2', '16Gi'"},
      {"1.2.3", ""},
      {"4 cores", ""},
      {"1e", ""},
      {"1e+", ""},
      {"1ex", ""},
      {"1234567890123456789", "use at most 18 significant digits"},
      {"1e30", "the value is too large"},
      {"9Ei", "the value is too large"},
  };
  for (const Bad& c : kCases) {
    absl::StatusOr<int64_t> millis = ParseCpuMillis("resources.requests.cpu", c.text);
    EXPECT_EQ(millis.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(ErrorField(millis.status()), "resources.requests.cpu") << c.text;
    if (c.message.starts_with("resources.")) {
      EXPECT_EQ(millis.status().message(), c.message);
    } else {
      EXPECT_NE(millis.status().message().find(c.message), std::string::npos)
          << millis.status().message();
    }
  }
}

// Verifies that common non-Kubernetes memory suffixes get the right fix.
TEST(QuantityTest, RejectsBadMemoryWithHint) {
  const Bad kCases[] = {
      {"500m", "memory: invalid quantity '500m': 'm' means a fraction of a byte: use '500Mi' "
               "(mebibytes) or '500M' (megabytes)"},
      {"16GB", "memory: invalid quantity '16GB': unknown suffix 'GB': use 'Gi' (powers of 1024) "
               "or 'G' (powers of 1000)"},
      {"2K", "memory: invalid quantity '2K': unknown suffix 'K': use 'Ki' (powers of 1024) or 'k' "
             "(powers of 1000)"},
      {"1GiB", "memory: invalid quantity '1GiB': unknown suffix 'GiB': use 'Gi' (powers of 1024) "
               "or 'G' (powers of 1000)"},
  };
  for (const Bad& c : kCases) {
    absl::StatusOr<int64_t> bytes = ParseMemoryBytes("memory", c.text);
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(ErrorField(bytes.status()), "memory");
    EXPECT_EQ(bytes.status().message(), c.message);
  }
}

TEST(QuantityTest, ParsesCounts) {
  EXPECT_EQ(*ParseCount("gpu", "0"), 0);
  EXPECT_EQ(*ParseCount("gpu", "8"), 8);
  for (std::string text : {"", "-1", "1.5", "1k", "x", "99999999999999999999"}) {
    absl::StatusOr<int64_t> count = ParseCount("gpu", text);
    EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(ErrorField(count.status()), "gpu");
  }
}

TEST(QuantityTest, FormatsCpu) {
  EXPECT_EQ(FormatCpuMillis(4000), "4");
  EXPECT_EQ(FormatCpuMillis(500), "500m");
  EXPECT_EQ(FormatCpuMillis(1500), "1500m");
  EXPECT_EQ(FormatCpuMillis(0), "0");
}

TEST(QuantityTest, FormatsMemory) {
  EXPECT_EQ(FormatMemoryBytes(int64_t{16} << 30), "16Gi");
  EXPECT_EQ(FormatMemoryBytes(1000000000), "1G");
  EXPECT_EQ(FormatMemoryBytes(2000000000), "2G");
  EXPECT_EQ(FormatMemoryBytes(int64_t{100} << 20), "100Mi");
  EXPECT_EQ(FormatMemoryBytes(1500), "1500");
  EXPECT_EQ(FormatMemoryBytes(0), "0");
  EXPECT_EQ(FormatMemoryBytes(1024), "1Ki");
}

TEST(QuantityTest, FormatThenParseRoundTrips) {
  for (int64_t bytes : {int64_t{1}, int64_t{1023}, int64_t{3} << 29, int64_t{5000000}}) {
    EXPECT_EQ(*ParseMemoryBytes("memory", FormatMemoryBytes(bytes)), bytes);
  }
  for (int64_t millis : {int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{64000}}) {
    EXPECT_EQ(*ParseCpuMillis("cpu", FormatCpuMillis(millis)), millis);
  }
}

}  // namespace
}  // namespace ty::api
