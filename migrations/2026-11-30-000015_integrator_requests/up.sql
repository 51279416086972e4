-- A one-call send with an Idempotency-Key header is answered once and replayed after (issue 14):
-- the answer is kept with the key, in the transaction that queues the send.
CREATE TABLE integrator_requests (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    answer JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, idempotency_key)
);
