-- A job that can never run (an unknown kind, a payload its kind cannot read) is kept dead,
-- with the reason in last_error, instead of being dropped or run on made-up values.
ALTER TABLE jobs ADD COLUMN dead_at timestamptz;
DROP INDEX jobs_due_idx;
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE dead_at IS NULL;
CREATE INDEX jobs_dead_idx ON jobs (dead_at) WHERE dead_at IS NOT NULL;
