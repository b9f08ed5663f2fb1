#include "store/notifier.h"

#include <gtest/gtest.h>

#include <thread>

namespace ty::store {
namespace {

using std::chrono::milliseconds;

TEST(NotifierTest, WaitReturnsAtOnceWhenAlreadyChanged) {
  Notifier notifier;
  notifier.Notify("t");
  EXPECT_EQ(notifier.WaitFor("t", 0, milliseconds(0)), notifier.Version("t"));
  EXPECT_NE(notifier.Version("t"), 0u);
}

TEST(NotifierTest, WaitTimesOutWithoutChange) {
  Notifier notifier;
  uint64_t seen = notifier.Version("t");
  EXPECT_EQ(notifier.WaitFor("t", seen, milliseconds(10)), seen);
}

TEST(NotifierTest, NotifyWakesWaiter) {
  Notifier notifier;
  uint64_t seen = notifier.Version("t");
  std::thread writer([&] { notifier.Notify("t"); });
  // The long timeout only bounds a broken wake-up; a working one returns at once.
  uint64_t now = notifier.WaitFor("t", seen, milliseconds(10000));
  writer.join();
  EXPECT_NE(now, seen);
}

TEST(NotifierTest, OtherTopicsDoNotChangeVersion) {
  Notifier notifier;
  uint64_t seen = notifier.Version("a");
  notifier.Notify("b");
  EXPECT_EQ(notifier.Version("a"), seen);
}

TEST(NotifierTest, ShutdownEndsWaits) {
  Notifier notifier;
  notifier.Shutdown();
  EXPECT_TRUE(notifier.shut_down());
  EXPECT_EQ(notifier.WaitFor("t", 0, milliseconds(10000)), 0u);
}

}  // namespace
}  // namespace ty::store
