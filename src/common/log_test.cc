#include "common/log.h"

#include <gtest/gtest.h>

namespace ty::log {
namespace {

using namespace std::string_literals;

TEST(EscapeForLogTest, PlainTextUnchanged) {
  EXPECT_EQ(EscapeForLog("[job j1] Queued -> Running\twith a tab"),
            "[job j1] Queued -> Running\twith a tab");
}

TEST(EscapeForLogTest, NewlineCannotForgeLine) {
  EXPECT_EQ(EscapeForLog("name 'x\n2026-12-05T02:30:00.000 info relay: fake'"),
            "name 'x\\n2026-12-05T02:30:00.000 info relay: fake'");
  EXPECT_EQ(EscapeForLog("a\r\nb"), "a\\r\\nb");
}

TEST(EscapeForLogTest, ControlBytesAsHex) {
  EXPECT_EQ(EscapeForLog("nul\0bell\a del\x7f"s), "nul\\x00bell\\x07 del\\x7f");
}

TEST(EscapeForLogTest, InvalidUtf8Replaced) {
  EXPECT_EQ(EscapeForLog("bad \xff byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(EscapeForLog("caf\xC3\xA9 stays"), "caf\xC3\xA9 stays");
}

}  // namespace
}  // namespace ty::log
