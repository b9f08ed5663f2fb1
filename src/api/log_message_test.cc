#include "api/log_message.h"

#include <gtest/gtest.h>

#include "common/json_cursor.h"

namespace ty::api {
namespace {

LogMessage TwoLines() {
  LogMessage message;
  message.job = "/resourceGroups/rg/workspaces/ws/jobs/j1";
  message.rank = 3;
  message.stream = "stderr";
  message.offset = 40;
  message.lines = {{1700000000123, "plain"}, {1700000000124, "quote \" slash \\ tab \t nul "}};
  message.lines[1].second += '\0';
  message.lines[1].second += " caf\xC3\xA9";
  return message;
}

TEST(LogMessage, RoundTripsEveryField) {
  LogMessage sent = TwoLines();
  std::string text = EncodeLogMessage(sent);

  absl::StatusOr<LogMessage> received = DecodeLogMessage(text);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->job, sent.job);
  EXPECT_EQ(received->rank, 3);
  EXPECT_EQ(received->stream, "stderr");
  EXPECT_EQ(received->offset, 40);
  EXPECT_EQ(received->lines, sent.lines);
}

TEST(LogMessage, DecodesTheIdTheOutboxAdds) {
  std::string text = EncodeLogMessage(TwoLines());
  text.insert(1, "\"id\":\"log-abc-7\",");

  absl::StatusOr<LogMessage> received = DecodeLogMessage(text);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->id, "log-abc-7");
  EXPECT_TRUE(IsLogMessage(text));
}

TEST(LogMessage, AcceptsMembersInAnyOrder) {
  absl::StatusOr<LogMessage> received = DecodeLogMessage(
      R"({"lines":[[5,"x"]],"offset":0,"extra":{"a":[1]},"stream":"stdout","job":"j","type":"log"})");
  ASSERT_TRUE(received.ok()) << received.status();
  ASSERT_EQ(received->lines.size(), 1u);
  EXPECT_EQ(received->lines[0].second, "x");
}

TEST(LogMessage, IsLogMessageReadsTheType) {
  EXPECT_TRUE(IsLogMessage(R"({"id":"x","type":"log"})"));
  EXPECT_TRUE(IsLogMessage(R"({"lines":[[1,"a"]],"type":"log"})"));
  EXPECT_FALSE(IsLogMessage(R"({"id":"x","type":"jobStatus"})"));
  EXPECT_FALSE(IsLogMessage(R"({"type":7})"));
  EXPECT_FALSE(IsLogMessage(R"({"id":"x"})"));
  EXPECT_FALSE(IsLogMessage("{}"));
  EXPECT_FALSE(IsLogMessage("not json"));
  EXPECT_FALSE(IsLogMessage(R"(["type","log"])"));
}

TEST(LogMessage, RejectsBadMembersByName) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"type":"log","job":"j","stream":"stdin","lines":[]})", "'stream'"},
      {R"({"type":"log","stream":"stdout","lines":[]})", "'job'"},
      {R"({"type":"log","job":"j","stream":"stdout","offset":-1,"lines":[]})", "'offset'"},
      {R"({"type":"log","job":"j","stream":"stdout","offset":1.5,"lines":[]})", "'offset'"},
      {R"({"type":"log","job":"j","stream":"stdout","lines":[[1,"a"],[2]]})", "'lines[1]'"},
      {R"({"type":"log","job":"j","stream":"stdout","lines":[["1","a"]]})", "'lines[0]'"},
      {R"({"type":"log","job":"j","stream":"stdout","lines":{}})", "'lines'"},
      {"{\"type\":\"log\",\"job\":\"j\",\"stream\":\"stdout\",\"lines\":[[1,\"\xFF\"]]}",
       "'lines[0]'"},
      {R"({"type":"jobStatus","job":"j","stream":"stdout","lines":[]})", "'type'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LogMessage> received = DecodeLogMessage(c.text);
    ASSERT_FALSE(received.ok()) << c.text;
    EXPECT_EQ(received.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(received.status().message().find(c.expected), std::string::npos)
        << c.text << " -> " << received.status();
  }
}

TEST(LogMessage, MalformedJsonIsMarked) {
  absl::StatusOr<LogMessage> received =
      DecodeLogMessage(R"({"type":"log","job":"j","lines":[[1,"a"])");
  ASSERT_FALSE(received.ok());
  EXPECT_TRUE(IsMalformedJson(received.status())) << received.status();
}

}  // namespace
}  // namespace ty::api
