DROP INDEX jobs_dead_idx;
DROP INDEX jobs_due_idx;
CREATE INDEX jobs_due_idx ON jobs (run_at, id);
ALTER TABLE jobs DROP COLUMN dead_at;
