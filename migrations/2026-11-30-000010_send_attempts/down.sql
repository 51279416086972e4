ALTER TABLE jobs DROP COLUMN started_at;
