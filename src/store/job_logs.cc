#include "store/job_logs.h"

#include "common/status_macros.h"
#include "store/jobs.h"

namespace ty::store {

std::vector<Migration> JobLogMigrations() {
  return {{"job_logs_0001_create", R"sql(
CREATE TABLE job_logs (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  time INTEGER NOT NULL,
  node TEXT NOT NULL,
  rank INTEGER NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE job_log_streams (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  rank INTEGER NOT NULL,
  stream TEXT NOT NULL,
  line_count INTEGER NOT NULL,
  PRIMARY KEY (job_id, rank, stream)
);
CREATE TABLE job_artifacts (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (job_id, path)
);
)sql"},
          // Lines of about 1 KB overflowed the leaf pages of the WITHOUT
          // ROWID table (an index B-tree keeps at most about 1 KB of a row
          // on a 4 KiB page), so each line cost a page of its own. A rowid
          // table keeps such rows on the leaf, and the primary key becomes a
          // small index beside it.
          {"job_logs_0002_rowid_table", R"sql(
CREATE TABLE job_logs_rowid (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  time INTEGER NOT NULL,
  node TEXT NOT NULL,
  rank INTEGER NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
INSERT INTO job_logs_rowid (job_id, seq, time, node, rank, stream, text)
  SELECT job_id, seq, time, node, rank, stream, text FROM job_logs;
DROP TABLE job_logs;
ALTER TABLE job_logs_rowid RENAME TO job_logs;
)sql"}};
}

namespace {

// Stores the chunk's new lines inside `transaction`; returns how many.
absl::StatusOr<int64_t> AppendChunk(Transaction& transaction, const LogChunk& chunk) {
  RETURN_IF_ERROR(GetJob(transaction, chunk.job_id).status());

  ASSIGN_OR_RETURN(Statement stored,
                   transaction.Query("SELECT line_count FROM job_log_streams WHERE job_id = ?1 "
                                     "AND rank = ?2 AND stream = ?3",
                                     chunk.job_id, chunk.rank, chunk.stream));
  ASSIGN_OR_RETURN(bool has_stream, stored.Step());
  int64_t line_count = has_stream ? stored.Int(0) : 0;

  // Skip the lines an earlier copy of this chunk already stored. A chunk
  // that starts past the stored count (lines lost on the agent) is stored
  // as it comes.
  int64_t skip = std::max<int64_t>(0, line_count - chunk.offset);
  int64_t total = static_cast<int64_t>(chunk.lines.size());
  if (skip >= total) return 0;

  ASSIGN_OR_RETURN(Statement last, transaction.Query(
                                       "SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = ?1",
                                       chunk.job_id));
  RETURN_IF_ERROR(last.Step().status());
  int64_t seq = last.Int(0);
  for (int64_t i = skip; i < total; ++i) {
    RETURN_IF_ERROR(transaction.Execute(
        "INSERT INTO job_logs (job_id, seq, time, node, rank, stream, text) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        chunk.job_id, ++seq, chunk.lines[i].first, chunk.node, chunk.rank, chunk.stream,
        chunk.lines[i].second));
  }
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO job_log_streams (job_id, rank, stream, line_count) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (job_id, rank, stream) DO UPDATE SET line_count = excluded.line_count",
      chunk.job_id, chunk.rank, chunk.stream, chunk.offset + total));
  return total - skip;
}

}  // namespace

absl::StatusOr<int64_t> AppendLogLines(Database& database, Notifier& notifier,
                                       const LogChunk& chunk) {
  ASSIGN_OR_RETURN(std::vector<int64_t> stored, AppendLogChunks(database, notifier, {&chunk}));
  return stored[0];
}

absl::StatusOr<std::vector<int64_t>> AppendLogChunks(Database& database, Notifier& notifier,
                                                     const std::vector<const LogChunk*>& chunks) {
  std::vector<int64_t> stored;
  {
    ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
    for (const LogChunk* chunk : chunks) {
      ASSIGN_OR_RETURN(int64_t count, AppendChunk(transaction, *chunk));
      stored.push_back(count);
    }
    RETURN_IF_ERROR(transaction.Commit());
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (stored[i] > 0) notifier.Notify(JobTopic(chunks[i]->job_id));
  }
  return stored;
}

absl::StatusOr<LogPage> ReadLogLines(Database& database, std::string_view job_id,
                                     int64_t after_seq, std::optional<int64_t> rank, int limit) {
  ASSIGN_OR_RETURN(Transaction transaction, database.BeginRead());
  RETURN_IF_ERROR(GetJob(transaction, job_id).status());
  ASSIGN_OR_RETURN(Statement row,
                   transaction.Query("SELECT seq, time, node, rank, stream, text FROM job_logs "
                                     "WHERE job_id = ?1 AND seq > ?2 AND (?3 IS NULL OR rank = ?3) "
                                     "ORDER BY seq LIMIT ?4",
                                     job_id, after_seq, rank, limit));
  LogPage page;
  page.next_seq = after_seq;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    page.lines.push_back(
        {row.Int(0), row.Int(1), row.Text(2), row.Int(3), row.Text(4), row.Text(5)});
    page.next_seq = row.Int(0);
  }
  return page;
}

absl::Status AddArtifact(Database& database, std::string_view job_id, const Artifact& artifact) {
  ASSIGN_OR_RETURN(Transaction transaction, database.Begin());
  RETURN_IF_ERROR(GetJob(transaction, job_id).status());
  RETURN_IF_ERROR(transaction.Execute(
      "INSERT INTO job_artifacts (job_id, path, size, digest) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (job_id, path) DO UPDATE SET size = excluded.size, digest = excluded.digest",
      job_id, artifact.path, artifact.size, artifact.digest));
  return transaction.Commit();
}

absl::StatusOr<std::vector<Artifact>> ListArtifacts(Database& database, std::string_view job_id) {
  ASSIGN_OR_RETURN(Transaction transaction, database.BeginRead());
  RETURN_IF_ERROR(GetJob(transaction, job_id).status());
  ASSIGN_OR_RETURN(Statement row, transaction.Query("SELECT path, size, digest FROM job_artifacts "
                                                    "WHERE job_id = ?1 ORDER BY path",
                                                    job_id));
  std::vector<Artifact> artifacts;
  while (true) {
    ASSIGN_OR_RETURN(bool more, row.Step());
    if (!more) break;
    artifacts.push_back({row.Text(0), row.Int(1), row.Text(2)});
  }
  return artifacts;
}

}  // namespace ty::store
