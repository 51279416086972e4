-- The transactional outbox: a change writes its events here in its own transaction, so no
-- committed change can lack them. The log relay numbers them into realtime_events (the
-- account's seq) and delivers them; rows left by a process that died are taken by the next
-- relay that runs, on any node.
CREATE TABLE event_outbox (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    data JSONB NOT NULL,
    audience JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
