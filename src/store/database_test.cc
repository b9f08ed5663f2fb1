#include "store/database.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/temp_dir.h"

namespace ty::store {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open((dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = std::move(*opened);
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok()) << transaction.status();
    ASSERT_TRUE(transaction->ExecuteScript("CREATE TABLE items (name TEXT PRIMARY KEY, n INT)").ok());
    ASSERT_TRUE(transaction->Commit().ok());
  }

  int64_t CountItems() {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    auto statement = transaction->Prepare("SELECT COUNT(*) FROM items");
    EXPECT_TRUE(statement.ok());
    EXPECT_TRUE(*statement->Step());
    return statement->Int(0);
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
};

TEST_F(DatabaseTest, OpensInWalMode) {
  auto transaction = database_->BeginRead();
  ASSERT_TRUE(transaction.ok());
  auto statement = transaction->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(statement.ok());
  ASSERT_TRUE(*statement->Step());
  EXPECT_EQ(statement->Text(0), "wal");
}

TEST_F(DatabaseTest, CommitKeepsRows) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(transaction->Execute("INSERT INTO items VALUES (?1, ?2)", "a", 1).ok());
    ASSERT_TRUE(transaction->Commit().ok());
  }
  EXPECT_EQ(CountItems(), 1);
}

TEST_F(DatabaseTest, DestructionRollsBack) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(transaction->Execute("INSERT INTO items VALUES (?1, ?2)", "a", 1).ok());
  }
  EXPECT_EQ(CountItems(), 0);
}

TEST_F(DatabaseTest, FailedStatementRollsBackEarlierOnes) {
  {
    auto transaction = database_->Begin();
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(transaction->Execute("INSERT INTO items VALUES ('a', 1)").ok());
    absl::Status duplicate = transaction->Execute("INSERT INTO items VALUES ('a', 2)");
    EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  }
  EXPECT_EQ(CountItems(), 0);
}

TEST_F(DatabaseTest, NestedTransactionIsRejected) {
  auto outer = database_->Begin();
  ASSERT_TRUE(outer.ok());
  auto inner = database_->Begin();
  EXPECT_EQ(inner.status().code(), absl::StatusCode::kInternal);
}

TEST_F(DatabaseTest, BindsNullAndOptional) {
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  std::optional<int64_t> missing;
  ASSERT_TRUE(transaction->Execute("INSERT INTO items VALUES (?1, ?2)", "a", missing).ok());
  auto statement = transaction->Query("SELECT n FROM items WHERE name = ?1", "a");
  ASSERT_TRUE(statement.ok());
  ASSERT_TRUE(*statement->Step());
  EXPECT_EQ(statement->OptionalInt(0), std::nullopt);
}

TEST_F(DatabaseTest, SameQueryNestedInItsOwnLoop) {
  auto transaction = database_->Begin();
  ASSERT_TRUE(transaction.ok());
  ASSERT_TRUE(transaction->Execute("INSERT INTO items VALUES ('a', 1), ('b', 2)").ok());
  auto outer = transaction->Prepare("SELECT name FROM items ORDER BY name");
  ASSERT_TRUE(outer.ok());
  int rows = 0;
  while (*outer->Step()) {
    auto inner = transaction->Prepare("SELECT name FROM items ORDER BY name");
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE(*inner->Step());
    EXPECT_EQ(inner->Text(0), "a");
    ++rows;
  }
  EXPECT_EQ(rows, 2);
}

TEST_F(DatabaseTest, TransactionsFromThreadsSerialize) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        auto transaction = database_->Begin();
        ASSERT_TRUE(transaction.ok());
        ASSERT_TRUE(transaction
                        ->Execute("INSERT INTO items VALUES (?1, ?2)",
                                  std::to_string(t) + "-" + std::to_string(i), i)
                        .ok());
        ASSERT_TRUE(transaction->Commit().ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(CountItems(), 100);
}

TEST(DatabaseOpen, UnwritablePathIsUnavailable) {
  auto opened = Database::Open("/nonexistent-folder/store.db");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ty::store
