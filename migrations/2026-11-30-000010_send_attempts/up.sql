-- When the current attempt of a job began, until its outcome is recorded. A job claimed with
-- this still set was interrupted mid-attempt (the process died): for a send, the outcome is
-- unknown and the inbox's policy decides (hold or resend).
ALTER TABLE jobs ADD COLUMN started_at timestamptz;
