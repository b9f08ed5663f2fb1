#pragma once

// Job output: log lines per node, rank and stream, numbered per job, and the
// artifacts a job produced (blobs recorded under a path).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/notifier.h"

namespace ty::store {

// The migrations that create the log and artifact tables.
std::vector<Migration> JobLogMigrations();

struct LogLine {
  int64_t seq = 0;  // 1, 2, ... per job, in the order lines were stored
  int64_t time_millis = 0;
  std::string node;
  int64_t rank = 0;
  std::string stream;  // "stdout" or "stderr"
  std::string text;
};

// A chunk of consecutive lines of one stream of one rank.
struct LogChunk {
  std::string job_id;
  std::string node;
  int64_t rank = 0;
  std::string stream;
  // Index of the chunk's first line within its stream, counted from 0. Lines
  // below the count already stored for the stream are duplicates of an
  // earlier copy of the chunk and are skipped.
  int64_t offset = 0;
  std::vector<std::pair<int64_t, std::string>> lines;  // (time in milliseconds, text)
};

// Stores the chunk's new lines and notifies the job's topic when there were
// any. Returns the number of lines stored. Errors: kNotFound for an unknown
// job.
absl::StatusOr<int64_t> AppendLogLines(Database& database, Notifier& notifier,
                                       const LogChunk& chunk);

// Stores several chunks in one transaction, which costs one commit instead
// of one per chunk, and returns the lines stored of each. All or nothing:
// on any error, nothing is stored. Errors: kNotFound for an unknown job.
absl::StatusOr<std::vector<int64_t>> AppendLogChunks(Database& database, Notifier& notifier,
                                                     const std::vector<const LogChunk*>& chunks);

struct LogPage {
  std::vector<LogLine> lines;
  int64_t next_seq = 0;  // pass as `after_seq` to continue
};

// Returns up to `limit` lines with seq above `after_seq`, of one rank when
// `rank` is set. Errors: kNotFound for an unknown job.
absl::StatusOr<LogPage> ReadLogLines(Database& database, std::string_view job_id,
                                     int64_t after_seq, std::optional<int64_t> rank, int limit);

struct Artifact {
  std::string path;  // relative to the job's outputs folder
  int64_t size = 0;
  std::string digest;  // "sha256:<hex>" of a stored blob
};

// Records (or replaces) an artifact of the job. Recording the same path
// twice with the same digest is harmless. Errors: kNotFound for an unknown job.
absl::Status AddArtifact(Database& database, std::string_view job_id, const Artifact& artifact);

// Lists the job's artifacts by path. Errors: kNotFound for an unknown job.
absl::StatusOr<std::vector<Artifact>> ListArtifacts(Database& database, std::string_view job_id);

}  // namespace ty::store
