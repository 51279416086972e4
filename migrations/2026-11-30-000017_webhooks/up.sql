-- Outgoing webhooks (issue: events out). A webhook is a reader of the event log: the
-- dispatcher reads each account's events after its cursor (event_readers), and in one
-- transaction writes a delivery per subscribed endpoint and moves the cursor, so a crash
-- neither loses nor doubles one. Deliveries go out through the job queue.

-- Endpoints: an account's webhooks (inbox_id NULL) and API inboxes' callbacks (inbox_id set,
-- kept in step with the inbox's webhook_url and signed with its secret).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id BIGINT REFERENCES inboxes (id) ON DELETE CASCADE,
    name TEXT,
    url TEXT NOT NULL,
    subscriptions TEXT[] NOT NULL,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT true,
    -- Why it was disabled (it failed for WEBHOOK_DISABLE_AFTER), and when.
    disabled_reason TEXT,
    disabled_at TIMESTAMPTZ,
    -- Since when every attempt has failed; NULL after a success.
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_account_idx ON webhooks (account_id);
CREATE UNIQUE INDEX webhooks_inbox_idx ON webhooks (inbox_id) WHERE inbox_id IS NOT NULL;

-- How far each reader of an account's log has read. Events after a reader's seq are kept
-- (pruning skips them) until it has read them.
CREATE TABLE event_readers (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reader TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (account_id, reader)
);

-- One event for one endpoint. (webhook_id, seq) is unique: reading an event twice makes no
-- second delivery. uuid is X-Chatwoot-Delivery, the same on every attempt. body is the exact
-- JSON sent, so every attempt (and a redelivery) sends the same bytes.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    -- Deliveries with the same key (one conversation's, one contact's) reach the endpoint in id order.
    ordering_key TEXT,
    uuid TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    body TEXT NOT NULL,
    -- pending (queued, retrying, or waiting for its endpoint to be enabled), delivered, failed.
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_status_code INT,
    last_error TEXT,
    last_duration_ms INT,
    delivered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, seq)
);
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, ordering_key, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_done_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status_code INT,
    duration_ms INT NOT NULL,
    error TEXT,
    next_retry_at TIMESTAMPTZ
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

-- The delivery job of a delivery, found to wake it when the one before it finishes.
CREATE INDEX jobs_webhook_delivery_idx ON jobs (((payload ->> 'delivery_id')::bigint)) WHERE kind = 'webhook.deliver';
