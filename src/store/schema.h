#pragma once

// The store's full schema: every module's migrations in order. A module
// adds its tables by writing a `FooMigrations()` list in its own file and
// adding it to AllMigrations() in schema.cc.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/migrations.h"

namespace ty::store {

MigrationSet AllMigrations();

// Opens the database at `path` and applies every pending migration.
// Errors: kUnavailable when it cannot be opened; kInternal for a failed
// migration, whose name the message gives.
absl::StatusOr<std::unique_ptr<Database>> OpenStore(const std::string& path);

}  // namespace ty::store
