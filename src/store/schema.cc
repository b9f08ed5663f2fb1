#include "store/schema.h"

#include "common/status_macros.h"
#include "store/assignments.h"
#include "store/job_logs.h"
#include "store/jobs.h"
#include "store/resources.h"
#include "store/tracking_runs.h"

namespace ty::store {

MigrationSet AllMigrations() {
  MigrationSet migrations;
  migrations.Add(ResourceMigrations());
  migrations.Add(JobMigrations());
  migrations.Add(JobLogMigrations());
  migrations.Add(AssignmentMigrations());
  migrations.Add(TrackingMigrations());
  return migrations;
}

absl::StatusOr<std::unique_ptr<Database>> OpenStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> database, Database::Open(path));
  RETURN_IF_ERROR(AllMigrations().Apply(*database));
  return database;
}

}  // namespace ty::store
