// The tracking tables. Migration 0001 stored one row per metric point;
// 0002 (metric_blocks.cc) replaced that table with blocks of points.
//
// SQLite stores a NaN bound as REAL as NULL, so in the summary columns
// (min_value, max_value, latest_value) NULL is NaN by design. Infinities are
// stored as REAL as they are.

#include "store/metric_blocks.h"
#include "store/tracking_runs.h"

namespace ty::store {

std::vector<Migration> TrackingMigrations() {
  return {{"tracking_0001_create", R"sql(
CREATE TABLE tracking_experiments (
  experiment_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL DEFAULT '',
  lifecycle_stage TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO tracking_experiments (experiment_id, name, created_at, updated_at)
  VALUES (0, 'Default', CAST(strftime('%s', 'now') AS INTEGER) * 1000,
          CAST(strftime('%s', 'now') AS INTEGER) * 1000);
CREATE TABLE tracking_experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES tracking_experiments(experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, name)
) WITHOUT ROWID;
CREATE TABLE tracking_runs (
  run_key INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  experiment_id INTEGER NOT NULL REFERENCES tracking_experiments(experiment_id),
  resource_group TEXT NOT NULL,
  workspace TEXT NOT NULL,
  job_id TEXT UNIQUE REFERENCES jobs(id) ON DELETE CASCADE,
  run_name TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  -- For a job run, a status set through runs/update, valid while the job's
  -- version is still status_job_version; the job's own status applies
  -- after the job changes.
  status TEXT,
  status_job_version INTEGER,
  start_time INTEGER,
  end_time INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX tracking_runs_by_experiment ON tracking_runs(experiment_id, run_key);
CREATE INDEX tracking_runs_by_workspace ON tracking_runs(resource_group, workspace, run_key);
CREATE TABLE tracking_metrics (
  metric_key INTEGER PRIMARY KEY,
  run_key INTEGER NOT NULL REFERENCES tracking_runs(run_key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  point_count INTEGER NOT NULL,
  min_value REAL,
  max_value REAL,
  latest_step INTEGER NOT NULL,
  latest_timestamp INTEGER NOT NULL,
  latest_value REAL,
  UNIQUE (run_key, name)
);
CREATE TABLE tracking_metric_points (
  metric_key INTEGER NOT NULL REFERENCES tracking_metrics(metric_key) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY (metric_key, step, timestamp, sequence)
) WITHOUT ROWID;
CREATE TABLE tracking_params (
  run_key INTEGER NOT NULL REFERENCES tracking_runs(run_key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_key, name)
) WITHOUT ROWID;
CREATE TABLE tracking_tags (
  run_key INTEGER NOT NULL REFERENCES tracking_runs(run_key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_key, name)
) WITHOUT ROWID;
CREATE TABLE tracking_batches (
  run_key INTEGER NOT NULL REFERENCES tracking_runs(run_key) ON DELETE CASCADE,
  batch_id TEXT NOT NULL,
  metrics INTEGER NOT NULL,
  params INTEGER NOT NULL,
  tags INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_key, batch_id)
) WITHOUT ROWID;
CREATE TABLE job_tokens (
  token_sha256 TEXT PRIMARY KEY,
  run_key INTEGER NOT NULL REFERENCES tracking_runs(run_key) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX job_tokens_by_run ON job_tokens(run_key);
)sql"},
          MetricBlocksMigration()};
}

}  // namespace ty::store
