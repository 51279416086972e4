-- Scheduled messages (issue: agent workflow): sent at scheduled_at by whichever process takes
-- the row first (FOR UPDATE SKIP LOCKED); the message, its send job and the row's new status
-- commit together, so each occurrence is sent exactly once.
CREATE TABLE scheduled_messages (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    inbox_id BIGINT NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    content TEXT,
    template_params JSONB,
    upload_id BIGINT REFERENCES uploads (id) ON DELETE SET NULL,
    -- draft, pending, sent, failed, cancelled
    status TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL,
    -- {"frequency": "daily"|"weekly"|"monthly", "ends_on": "YYYY-MM-DD", "max_sends": n}
    recurrence JSONB,
    sends INT NOT NULL DEFAULT 0,
    cancel_on_reply BOOLEAN NOT NULL DEFAULT true,
    message_id BIGINT,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_messages_due_idx ON scheduled_messages (scheduled_at) WHERE status = 'pending';
CREATE INDEX scheduled_messages_conversation_idx ON scheduled_messages (conversation_id, id);
