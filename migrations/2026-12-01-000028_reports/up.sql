-- Reporting events (the reference's), derived from the event log by the `reports` reader, and
-- the roll-ups reports read instead of the live inbox.

CREATE TABLE reporting_events (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The log event it was derived from: deriving it again is a no-op.
    seq bigint NOT NULL,
    name text NOT NULL,
    value double precision NOT NULL,
    value_in_business_hours double precision NOT NULL,
    event_start_time timestamptz NOT NULL,
    event_end_time timestamptz NOT NULL,
    -- The conversation's public (display) id.
    conversation_id bigint,
    inbox_id bigint,
    user_id bigint,
    UNIQUE (account_id, seq, name)
);
CREATE INDEX reporting_events_time_idx ON reporting_events (account_id, event_end_time, id);
CREATE INDEX reporting_events_conversation_idx ON reporting_events (account_id, conversation_id, event_end_time);

-- The log events the derivation reads, slimmed to what it reads (domain::reports::slim): the
-- log itself is pruned, these are kept so the reporting events can be rebuilt after a fix. One
-- row per batch the reader read (an array of [seq, name, logged_at, data]), not per event: the
-- reader then writes a few rows a second, not one per message.
CREATE TABLE report_inputs (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    first_seq bigint NOT NULL,
    last_seq bigint NOT NULL,
    inputs jsonb NOT NULL,
    PRIMARY KEY (account_id, first_seq)
);
CREATE INDEX report_inputs_last_idx ON report_inputs (account_id, last_seq);

-- What the reader remembers of each conversation (domain::reports::Tracked), from the log alone.
CREATE TABLE report_conversations (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    display_id bigint NOT NULL,
    state jsonb NOT NULL,
    PRIMARY KEY (account_id, display_id)
);

-- Roll-ups: per quarter-hour (every timezone offset is a multiple of it) and per UTC day.
-- `dim` is domain::reports::Dim; `inbox_id` 0 is every inbox; account rows are (0, 0, 0) and
-- an inbox's are (2, id, id); an agent's, team's or label's are kept per inbox and overall.
CREATE TABLE report_slots (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    dim smallint NOT NULL,
    dim_id bigint NOT NULL,
    metric smallint NOT NULL,
    inbox_id bigint NOT NULL,
    bucket timestamptz NOT NULL,
    count bigint NOT NULL,
    total double precision NOT NULL,
    total_bh double precision NOT NULL,
    PRIMARY KEY (account_id, dim, dim_id, metric, inbox_id, bucket)
);
CREATE TABLE report_days (LIKE report_slots INCLUDING ALL);
ALTER TABLE report_days ADD FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
-- The key serves one object's series; summaries over every agent (or inbox, team, label) read
-- a range of buckets of one metric instead.
CREATE INDEX report_slots_range_idx ON report_slots (account_id, dim, metric, inbox_id, bucket);
CREATE INDEX report_days_range_idx ON report_days (account_id, dim, metric, inbox_id, bucket);

-- Every account has the reader; existing ones read what the log keeps.
INSERT INTO event_readers (account_id, reader, seq) SELECT id, 'reports', 0 FROM accounts
ON CONFLICT (account_id, reader) DO NOTHING;
