#pragma once

// Named schema migrations. Each module of the store contributes its own list
// (resources, jobs, tracking, ...) and schema.cc collects them in order. The
// table `schema_migrations` records the names already applied, so applying is
// idempotent: a migration runs once per database, in its own transaction
// together with the record of its name.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "store/database.h"

namespace ty::store {

struct Migration {
  std::string name;  // unique across all modules, e.g. "jobs_0001_create"
  std::string sql;   // one or more statements
};

// An ordered list of migrations from several modules.
class MigrationSet {
 public:
  void Add(std::vector<Migration> migrations);

  // Applies, in order, every migration whose name is not yet recorded.
  // A failing migration is rolled back whole and its error returned with the
  // migration's name; migrations before it stay applied.
  // Errors: kInternal for a duplicate name in the set or an SQL error.
  absl::Status Apply(Database& database) const;

  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  std::vector<Migration> migrations_;
};

// Returns the names recorded as applied, in the order they were applied.
absl::StatusOr<std::vector<std::string>> AppliedMigrations(Database& database);

}  // namespace ty::store
