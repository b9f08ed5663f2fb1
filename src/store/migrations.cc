#include "store/migrations.h"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/time.h"

namespace ty::store {
namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  name TEXT PRIMARY KEY,"
    "  applied_at INTEGER NOT NULL)";

absl::StatusOr<std::set<std::string>> ReadApplied(Transaction& transaction) {
  std::set<std::string> applied;
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Prepare("SELECT name FROM schema_migrations"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    applied.insert(statement.Text(0));
  }
  return applied;
}

absl::Status ApplyOne(Database& database, const Migration& migration) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  // Checking again inside the write transaction keeps two processes that
  // open the same store at once from applying a migration twice.
  ASSIGN_OR_RETURN(Statement check, transaction.Query(
                                        "SELECT 1 FROM schema_migrations WHERE name = ?1",
                                        migration.name));
  ASSIGN_OR_RETURN(bool already_applied, check.Step());
  if (already_applied) return absl::OkStatus();

  RETURN_IF_ERROR(transaction.ExecuteScript(migration.sql));
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)", migration.name,
      NowMillis()));
  return transaction.Commit();
}

}  // namespace

void MigrationSet::Add(std::vector<Migration> migrations) {
  for (Migration& migration : migrations) migrations_.push_back(std::move(migration));
}

absl::Status MigrationSet::Apply(Database& database) const {
  std::set<std::string> names;
  for (const Migration& migration : migrations_) {
    if (!names.insert(migration.name).second) {
      return absl::InternalError(fmt::format("migration '{}' is listed twice", migration.name));
    }
  }

  std::set<std::string> applied;
  {
    ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
    RETURN_IF_ERROR(transaction.ExecuteScript(kCreateMigrationsTable));
    ASSIGN_OR_RETURN(applied, ReadApplied(transaction));
    RETURN_IF_ERROR(transaction.Commit());
  }

  for (const Migration& migration : migrations_) {
    if (applied.contains(migration.name)) continue;
    absl::Status status = ApplyOne(database, migration);
    if (!status.ok()) {
      return absl::Status(status.code(), fmt::format("apply migration '{}': {}", migration.name,
                                                     std::string(status.message())));
    }
    log::Info("applied schema migration '{}'", migration.name);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> AppliedMigrations(Database& database) {
  ASSIGN_OR_RETURN(Transaction transaction, database.BeginRead());
  ASSIGN_OR_RETURN(Statement statement,
                   transaction.Prepare("SELECT name FROM schema_migrations ORDER BY rowid"));
  std::vector<std::string> names;
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    names.push_back(statement.Text(0));
  }
  return names;
}

}  // namespace ty::store
