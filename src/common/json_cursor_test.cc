#include "common/json_cursor.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty {
namespace {

using ::testing::HasSubstr;

TEST(JsonCursorTest, ReadsObjectOfScalars) {
  JsonCursor cursor(R"( {"a": -1.5e3, "b": "x", "c": [true, null, {}]} )");
  std::string storage;
  ASSERT_TRUE(cursor.Expect('{').ok());
  EXPECT_EQ(*cursor.String(storage), "a");
  ASSERT_TRUE(cursor.Expect(':').ok());
  EXPECT_EQ(*cursor.Number(), "-1.5e3");
  ASSERT_TRUE(cursor.ConsumeIf(','));
  EXPECT_EQ(*cursor.String(storage), "b");
  ASSERT_TRUE(cursor.Expect(':').ok());
  EXPECT_EQ(*cursor.String(storage), "x");
  ASSERT_TRUE(cursor.ConsumeIf(','));
  EXPECT_EQ(*cursor.String(storage), "c");
  ASSERT_TRUE(cursor.Expect(':').ok());
  ASSERT_TRUE(cursor.SkipValue().ok());
  ASSERT_TRUE(cursor.Expect('}').ok());
  EXPECT_TRUE(cursor.ExpectEnd().ok());
}

TEST(JsonCursorTest, DecodesEscapes) {
  JsonCursor cursor(R"("a\"b\\c\/\n\u00e9\ud83d\ude00")");
  std::string storage;
  absl::StatusOr<std::string_view> text = cursor.String(storage);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonCursorTest, RejectsMalformedTokens) {
  struct Case {
    std::string text;
    std::string fragment;
  };
  const Case kCases[] = {
      {R"("open)", "closing '\"'"},
      {"\"tab\there\"", "no control character"},
      {R"("\x")", "valid escape"},
      {R"("\ud83d")", "low surrogate"},
      {"01", "the end of the text"},
      {"1.", "digit after '.'"},
      {"1e+", "digit in the exponent"},
      {"-", "a number"},
      {"nul", "a value"},
      {"NaN", "a value"},
  };
  for (const Case& test_case : kCases) {
    JsonCursor cursor(test_case.text);
    absl::Status status = cursor.SkipValue();
    if (status.ok()) status = cursor.ExpectEnd();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << test_case.text;
    EXPECT_THAT(std::string(status.message()), HasSubstr(test_case.fragment)) << test_case.text;
    EXPECT_TRUE(IsMalformedJson(status)) << test_case.text;
  }
}

TEST(JsonCursorTest, ErrorNamesBytePosition) {
  JsonCursor cursor(R"({"a": })");
  ASSERT_TRUE(cursor.Expect('{').ok());
  std::string storage;
  ASSERT_TRUE(cursor.String(storage).ok());
  ASSERT_TRUE(cursor.Expect(':').ok());
  absl::Status status = cursor.SkipValue();
  EXPECT_THAT(std::string(status.message()), HasSubstr("byte 7: expected a value but found '}'"));
}

TEST(JsonCursorTest, LimitsNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  JsonCursor cursor(deep);
  EXPECT_THAT(std::string(cursor.SkipValue().message()), HasSubstr("nested levels"));
}

TEST(JsonCursorTest, OtherErrorsAreNotMalformedJson) {
  EXPECT_FALSE(IsMalformedJson(absl::InvalidArgumentError("name: invalid")));
}

// Verifies the word-at-a-time scan against a byte-by-byte one, for each
// special byte at every position of a string longer than two words.
TEST(FindJsonSpecialTest, FindsEverySpecialByteAtEveryPosition) {
  const std::string plain = "abc \xC3\xA9\xE2\x82\xAC \x7F~xyz0123456789";
  EXPECT_EQ(FindJsonSpecial(plain, 0), plain.size());
  for (char special : {'"', '\\', '\0', '\n', '\x1F'}) {
    for (size_t at = 0; at < plain.size(); ++at) {
      std::string text = plain;
      text[at] = special;
      EXPECT_EQ(FindJsonSpecial(text, 0), at) << "byte " << int(special) << " at " << at;
      EXPECT_EQ(FindJsonSpecial(text, at), at);
      EXPECT_EQ(FindJsonSpecial(text, at + 1), text.size());
    }
  }
}

TEST(FindJsonSpecialTest, ReturnsSizeForEmptyAndTailStarts) {
  EXPECT_EQ(FindJsonSpecial("", 0), 0u);
  EXPECT_EQ(FindJsonSpecial("ab\"", 3), 3u);
}

TEST(AppendJsonEscapedTest, RoundTripsThroughTheCursor) {
  std::string control("nul \0 bell \a end", 16);
  for (std::string text : {std::string("plain"), std::string("quote \" slash \\ tab \t"),
                           std::string("line\nfeed\r"), control,
                           std::string("caf\xC3\xA9 \xE2\x82\xAC")}) {
    std::string literal = "\"";
    AppendJsonEscaped(literal, text);
    literal += '"';

    JsonCursor cursor(literal);
    std::string storage;
    absl::StatusOr<std::string_view> read = cursor.String(storage);
    ASSERT_TRUE(read.ok()) << literal << ": " << read.status();
    EXPECT_EQ(*read, text) << literal;
  }
  std::string escaped;
  AppendJsonEscaped(escaped, "\x01");
  EXPECT_EQ(escaped, "\\u0001");
}

}  // namespace
}  // namespace ty
