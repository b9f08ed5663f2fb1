#include "executors/local/log_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

using ::testing::ElementsAre;

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(SanitizeUtf8, KeepsValidText) {
  std::string text = "plain, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  EXPECT_EQ(SanitizeUtf8(text), text);
}

TEST(SanitizeUtf8, ReplacesInvalidSequences) {
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b"), "a" + kReplacement + "b");
  EXPECT_EQ(SanitizeUtf8("\x80"), kReplacement);
  EXPECT_EQ(SanitizeUtf8("truncated \xE2\x82"), "truncated " + kReplacement + kReplacement);
  EXPECT_EQ(SanitizeUtf8("overlong \xC0\xAF"), "overlong " + kReplacement + kReplacement);
  EXPECT_EQ(SanitizeUtf8("surrogate \xED\xA0\x80"),
            "surrogate " + kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(SanitizeUtf8("too big \xF4\x90\x80\x80"),
            "too big " + kReplacement + kReplacement + kReplacement + kReplacement);
}

TEST(SanitizeUtf8, KeepsNulBytes) {
  std::string text("a\0b", 3);
  EXPECT_EQ(SanitizeUtf8(text), text);
}

TEST(LineSplitter, SplitsAtNewlines) {
  LineSplitter splitter;
  EXPECT_THAT(splitter.Feed("one\ntw"), ElementsAre("one"));
  EXPECT_THAT(splitter.Feed("o\n\nthree"), ElementsAre("two", ""));
  EXPECT_THAT(splitter.Finish(), ElementsAre("three"));
  EXPECT_TRUE(splitter.Finish().empty());
}

TEST(LineSplitter, CutsLongLinesIntoPieces) {
  LineSplitter splitter;
  std::string line(2 * kMaxPieceBytes + 10, 'x');

  std::vector<std::string> pieces = splitter.Feed(line + "\n");

  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].size(), kMaxPieceBytes);
  EXPECT_EQ(pieces[1].size(), kMaxPieceBytes);
  EXPECT_EQ(pieces[2].size(), 10u);
}

TEST(LineSplitter, NeverCutsInsideACharacter) {
  LineSplitter splitter;
  // The euro sign (3 bytes) straddles the piece boundary.
  std::string line(kMaxPieceBytes - 1, 'x');
  line += "\xE2\x82\xAC";
  line += "tail";

  std::vector<std::string> pieces = splitter.Feed(line + "\n");

  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], std::string(kMaxPieceBytes - 1, 'x'));
  EXPECT_EQ(pieces[1], "\xE2\x82\xAC" "tail");
}

TEST(LineSplitter, SanitizesEachText) {
  LineSplitter splitter;
  EXPECT_THAT(splitter.Feed("bad \xFF byte\n"), ElementsAre("bad " + kReplacement + " byte"));
}

TEST(ParseRecords, ReadsCompleteRecordsOnly) {
  std::string data = FormatRecord(1700000000123, "first") + FormatRecord(5, "") + "99 partial";
  std::vector<LogRecord> records;

  size_t consumed = ParseRecords(data, &records);

  EXPECT_EQ(consumed, data.size() - std::string("99 partial").size());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].time_ms, 1700000000123);
  EXPECT_EQ(records[0].text, "first");
  EXPECT_EQ(records[1].time_ms, 5);
  EXPECT_EQ(records[1].text, "");
}

TEST(ParseRecords, KeepsMalformedRecordAsText) {
  std::vector<LogRecord> records;
  ParseRecords("not-a-time text\n", &records);

  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].time_ms, 0);
  EXPECT_EQ(records[0].text, "not-a-time text");
}

}  // namespace
}  // namespace ty::executors::local
