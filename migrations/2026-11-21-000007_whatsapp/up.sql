-- WhatsApp inboxes through a BSP, outbound sends through a job queue, and message templates
-- (issue: WhatsApp through the BSP).

ALTER TABLE inboxes
    ADD COLUMN phone_number TEXT,
    ADD COLUMN provider TEXT,
    -- api_url, api_key, user_id, waba_id: the API never shows api_key again.
    ADD COLUMN provider_config JSONB NOT NULL DEFAULT '{}',
    -- The unguessable part of the inbox's webhook URL; webhooks find their inbox through it.
    ADD COLUMN webhook_token TEXT UNIQUE,
    ADD COLUMN message_templates_synced_at TIMESTAMPTZ;

-- `progress`: accepted by us, not yet by the channel (the dashboard's pending state).
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('progress', 'sent', 'delivered', 'read', 'failed'));

-- The 24-hour window asks for a contact's latest incoming message in a conversation.
CREATE INDEX messages_incoming_idx ON messages (conversation_id, created_at DESC) WHERE message_type = 0;
-- Inbound messages find the contact's current conversation in its inbox.
CREATE INDEX conversations_contact_inbox_idx ON conversations (contact_inbox_id, id DESC);

CREATE TABLE message_templates (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    external_id TEXT,
    name TEXT NOT NULL,
    -- Stored as the BSP spells it in getTemplate (en_US); webhooks may say en-US.
    language TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING',
    category TEXT,
    previous_category TEXT,
    reason TEXT,
    components JSONB NOT NULL DEFAULT '[]',
    metrics JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (inbox_id, name, language)
);

-- The job queue. A worker claims due jobs with FOR UPDATE SKIP LOCKED and pushes `run_at`
-- forward by its lease: a worker that dies mid-job lets the job come due again, and a failed
-- attempt pushes it by the backoff. Finished jobs are deleted in the transaction that records
-- their outcome.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON jobs (run_at, id);

-- Sends per inbox per second, shared by every process: the BSP limits the number, not us.
CREATE TABLE send_slots (
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    second BIGINT NOT NULL,
    used INT NOT NULL,
    PRIMARY KEY (inbox_id, second)
);
