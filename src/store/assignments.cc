#include "store/assignments.h"

namespace ty::store {

std::vector<Migration> AssignmentMigrations() {
  return {{"relay_0001_create",
           "CREATE TABLE relay_assignments ("
           "  job_id TEXT PRIMARY KEY,"
           "  cluster_id TEXT NOT NULL,"
           "  message_id TEXT NOT NULL UNIQUE,"
           "  launch TEXT NOT NULL,"
           "  acknowledged INTEGER NOT NULL DEFAULT 0,"
           "  cancel_sent INTEGER NOT NULL DEFAULT 0,"
           "  final INTEGER NOT NULL DEFAULT 0,"
           "  cpus REAL NOT NULL,"
           "  memory_bytes INTEGER NOT NULL,"
           "  gpus INTEGER NOT NULL,"
           "  instances INTEGER NOT NULL,"
           "  placement TEXT NOT NULL);"
           "CREATE INDEX relay_assignments_cluster ON relay_assignments (cluster_id, final);"}};
}

namespace {

constexpr char kColumns[] =
    "job_id, cluster_id, message_id, launch, acknowledged, cancel_sent, cpus, memory_bytes, "
    "gpus, instances, placement";

Assignment ReadAssignment(const Statement& row) {
  Assignment assignment;
  assignment.job_id = row.Text(0);
  assignment.cluster_id = row.Text(1);
  assignment.message_id = row.Text(2);
  assignment.launch = row.Text(3);
  assignment.acknowledged = row.Int(4) != 0;
  assignment.cancel_sent = row.Int(5) != 0;
  assignment.cpus = row.Double(6);
  assignment.memory_bytes = row.Int(7);
  assignment.gpus = row.Int(8);
  assignment.instances = row.Int(9);
  assignment.placement = row.Text(10);
  return assignment;
}

}  // namespace

absl::Status InsertAssignment(Transaction& transaction, const Assignment& assignment) {
  return transaction.Execute(
      "INSERT INTO relay_assignments (job_id, cluster_id, message_id, launch, acknowledged, "
      "cancel_sent, cpus, memory_bytes, gpus, instances, placement) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?9, ?10, ?11)",
      assignment.job_id, assignment.cluster_id, assignment.message_id, assignment.launch,
      assignment.acknowledged, assignment.cancel_sent, assignment.cpus, assignment.memory_bytes,
      assignment.gpus, assignment.instances, assignment.placement);
}

absl::StatusOr<std::optional<Assignment>> FindAssignment(Transaction& transaction,
                                                         std::string_view job_id) {
  absl::StatusOr<Statement> query = transaction.Query(
      std::string("SELECT ") + kColumns + " FROM relay_assignments WHERE job_id = ?1", job_id);
  if (!query.ok()) return query.status();
  absl::StatusOr<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Assignment>();
  return std::optional<Assignment>(ReadAssignment(*query));
}

absl::StatusOr<std::vector<Assignment>> ActiveAssignments(Transaction& transaction,
                                                          std::string_view cluster_id) {
  absl::StatusOr<Statement> query = transaction.Query(
      std::string("SELECT ") + kColumns +
          " FROM relay_assignments WHERE cluster_id = ?1 AND final = 0 ORDER BY rowid",
      cluster_id);
  if (!query.ok()) return query.status();
  std::vector<Assignment> assignments;
  while (true) {
    absl::StatusOr<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    assignments.push_back(ReadAssignment(*query));
  }
  return assignments;
}

absl::StatusOr<std::string> AcknowledgeAssignment(Transaction& transaction,
                                                  std::string_view message_id) {
  absl::StatusOr<Statement> query = transaction.Query(
      "UPDATE relay_assignments SET acknowledged = 1 WHERE message_id = ?1 RETURNING job_id",
      message_id);
  if (!query.ok()) return query.status();
  absl::StatusOr<bool> row = query->Step();
  if (!row.ok()) return row.status();
  std::string job_id = *row ? query->Text(0) : std::string();
  if (*row) {
    // Drain the statement so it is reset before the next use.
    absl::StatusOr<bool> done = query->Step();
    if (!done.ok()) return done.status();
  }
  return job_id;
}

absl::Status SetCancelSent(Transaction& transaction, std::string_view job_id, bool sent) {
  return transaction.Execute("UPDATE relay_assignments SET cancel_sent = ?2 WHERE job_id = ?1",
                             job_id, sent);
}

absl::Status MarkAssignmentFinal(Transaction& transaction, std::string_view job_id) {
  return transaction.Execute("UPDATE relay_assignments SET final = 1 WHERE job_id = ?1", job_id);
}

absl::Status ResetCancelSent(Transaction& transaction, std::string_view cluster_id) {
  return transaction.Execute(
      "UPDATE relay_assignments SET cancel_sent = 0 WHERE cluster_id = ?1", cluster_id);
}

}  // namespace ty::store
