#include "agent/outbox.h"

#include <gtest/gtest.h>
#include <stdlib.h>

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

}  // namespace
}  // namespace ty::agent
