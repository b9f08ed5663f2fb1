#include "agent/outbox.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <csignal>

#include <filesystem>

#include <nlohmann/json.hpp>

namespace ty::agent {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/outbox_test_XXXXXX";
    folder_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }
  std::string Path() const { return folder_ + "/outbox.db"; }

  std::string folder_;
};

TEST_F(OutboxTest, KeepsOrderAndAddsIds) {
  auto outbox = Outbox::Open(Path());
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  auto first = (*outbox)->Add("log", R"({"type":"log","n":1})");
  auto second = (*outbox)->Add("log", R"({"type":"log","n":2})");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);

  auto pending = (*outbox)->Pending(0, 10);
  ASSERT_EQ(pending.size(), 2u);
  auto parsed = nlohmann::json::parse(pending[0].second);
  EXPECT_EQ(parsed["id"], *first);
  EXPECT_EQ(parsed["n"], 1);
  EXPECT_EQ((*outbox)->Pending(pending[0].first, 10).size(), 1u);
}

TEST_F(OutboxTest, AcknowledgeRemovesOnceAndRepeatsAreHarmless) {
  auto outbox = Outbox::Open(Path());
  ASSERT_TRUE(outbox.ok());
  auto id = (*outbox)->Add("jobStatus", R"({"status":"Running"})");
  ASSERT_TRUE(id.ok());
  (*outbox)->Acknowledge(*id);
  (*outbox)->Acknowledge(*id);
  (*outbox)->Acknowledge("unknown");
  EXPECT_EQ((*outbox)->Size(), 0u);
}

// Verifies that messages survive the process that queued them, which is
// what lets a restarted agent resend what the server never acknowledged.
TEST_F(OutboxTest, SurvivesReopen) {
  std::string id;
  {
    auto outbox = Outbox::Open(Path());
    ASSERT_TRUE(outbox.ok());
    id = *(*outbox)->Add("log", R"({"text":"kept"})");
  }
  auto reopened = Outbox::Open(Path());
  ASSERT_TRUE(reopened.ok());
  auto pending = (*reopened)->Pending(0, 10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(pending[0].second)["id"], id);
  auto next = (*reopened)->Add("log", R"({"text":"new"})");
  ASSERT_TRUE(next.ok());
  EXPECT_NE(*next, id);
}

TEST_F(OutboxTest, PendingStopsAtByteBudget) {
  auto outbox = Outbox::Open(Path());
  ASSERT_TRUE(outbox.ok());
  std::string big(1000, 'x');
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*outbox)->Add("log", R"({"text":")" + big + R"("})").ok());
  }

  EXPECT_EQ((*outbox)->Pending(0, 10, 2500).size(), 3u);  // stops once 2500 bytes are reached
  EXPECT_EQ((*outbox)->Pending(0, 10, 1).size(), 1u);     // the first comes whatever its size
  EXPECT_EQ((*outbox)->Pending(0, 2).size(), 2u);
}

// Makes every write past `bytes` into any file fail with EFBIG, as a full
// disk does, until destroyed. Needs no root and no real disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = {bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_;
  void (*previous_handler_)(int);
};

// Verifies that messages the file cannot take are kept in memory, sent in
// order, and stored once the disk has room again.
TEST_F(OutboxTest, FullDiskKeepsMessagesInMemoryInOrder) {
  auto outbox = Outbox::Open(Path());
  ASSERT_TRUE(outbox.ok());
  ASSERT_TRUE((*outbox)->Add("log", R"({"n":1})").ok());

  std::string big(200 * 1000, 'x');
  {
    FileSizeLimit full(4096);
    auto second = (*outbox)->Add("log", R"({"n":2,"text":")" + big + R"("})");
    auto third = (*outbox)->Add("jobStatus", R"({"n":3})");
    ASSERT_TRUE(second.ok()) << second.status();
    ASSERT_TRUE(third.ok()) << third.status();
    EXPECT_EQ((*outbox)->UnsavedCount(), 2u);
    EXPECT_EQ((*outbox)->Size(), 3u);

    auto pending = (*outbox)->Pending(0, 10);
    ASSERT_EQ(pending.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(nlohmann::json::parse(pending[i].second)["n"], i + 1);
      if (i > 0) {
        EXPECT_GT(pending[i].first, pending[i - 1].first);
      }
    }
    EXPECT_EQ((*outbox)->Pending(pending[1].first, 10).size(), 1u);

    // An acknowledged message held in memory is gone for good.
    (*outbox)->Acknowledge(*third);
    EXPECT_EQ((*outbox)->UnsavedCount(), 1u);
  }

  // Room again: the next Add stores the held message first, then its own.
  ASSERT_TRUE((*outbox)->Add("log", R"({"n":4})").ok());
  EXPECT_EQ((*outbox)->UnsavedCount(), 0u);
  outbox->reset();

  auto reopened = Outbox::Open(Path());
  ASSERT_TRUE(reopened.ok());
  auto pending = (*reopened)->Pending(0, 10);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(pending[0].second)["n"], 1);
  EXPECT_EQ(nlohmann::json::parse(pending[1].second)["n"], 2);
  EXPECT_EQ(nlohmann::json::parse(pending[2].second)["n"], 4);
}

}  // namespace
}  // namespace ty::agent
