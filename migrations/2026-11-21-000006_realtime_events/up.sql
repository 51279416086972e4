-- Live events, numbered per account, kept briefly so a reconnecting client can replay what it
-- missed (issue: live updates).
CREATE TABLE event_counters (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE realtime_events (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    data JSONB NOT NULL,
    audience JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seq)
);
CREATE INDEX realtime_events_created_idx ON realtime_events (created_at);
