#include "store/migrations.h"

#include <gtest/gtest.h>

#include "store/temp_dir.h"

namespace ty::store {
namespace {

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open((dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = std::move(*opened);
  }

  bool TableExists(std::string_view name) {
    auto transaction = database_->BeginRead();
    EXPECT_TRUE(transaction.ok());
    auto statement =
        transaction->Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", name);
    EXPECT_TRUE(statement.ok());
    return *statement->Step();
  }

  TempDir dir_;
  std::unique_ptr<Database> database_;
};

TEST_F(MigrationsTest, AppliesInOrderOnce) {
  MigrationSet set;
  set.Add({{"a_0001", "CREATE TABLE a (x INT)"}});
  set.Add({{"b_0001", "CREATE TABLE b (y INT); INSERT INTO b VALUES (1)"}});

  ASSERT_TRUE(set.Apply(*database_).ok());
  // A second run finds both recorded and would fail if it re-ran them.
  ASSERT_TRUE(set.Apply(*database_).ok());

  auto applied = AppliedMigrations(*database_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, (std::vector<std::string>{"a_0001", "b_0001"}));
}

TEST_F(MigrationsTest, FailingMigrationRollsBackWhole) {
  MigrationSet set;
  set.Add({{"good", "CREATE TABLE good (x INT)"},
           {"bad", "CREATE TABLE half (x INT); CREATE TABLE broken (x INT"}});

  absl::Status status = set.Apply(*database_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(status.message().find("'bad'"), std::string_view::npos) << status;
  EXPECT_TRUE(TableExists("good"));
  EXPECT_FALSE(TableExists("half"));

  auto applied = AppliedMigrations(*database_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, std::vector<std::string>{"good"});
}

TEST_F(MigrationsTest, LaterModuleAddsToExistingStore) {
  MigrationSet first;
  first.Add({{"core_0001", "CREATE TABLE core (x INT)"}});
  ASSERT_TRUE(first.Apply(*database_).ok());

  MigrationSet second = first;
  second.Add({{"tracking_0001", "CREATE TABLE metrics (x INT)"}});
  ASSERT_TRUE(second.Apply(*database_).ok());
  EXPECT_TRUE(TableExists("metrics"));
}

TEST_F(MigrationsTest, DuplicateNameIsRejected) {
  MigrationSet set;
  set.Add({{"same", "CREATE TABLE a (x INT)"}, {"same", "CREATE TABLE b (x INT)"}});
  EXPECT_EQ(set.Apply(*database_).code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(TableExists("a"));
}

}  // namespace
}  // namespace ty::store
