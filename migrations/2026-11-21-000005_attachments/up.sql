-- Message attachments (issue: the inbox). Files live in the storage directory under
-- `storage_key`; inbound media may only have an external URL.
CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    file_type TEXT NOT NULL CHECK (file_type IN ('image', 'audio', 'video', 'file', 'location', 'fallback', 'share', 'contact', 'sticker')),
    content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
    file_name TEXT NOT NULL DEFAULT '',
    file_size BIGINT NOT NULL DEFAULT 0,
    storage_key TEXT,
    external_url TEXT,
    meta JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message_idx ON attachments (message_id);

-- Installation-wide secrets, created on first use and shared by every process through the
-- database (e.g. the key that signs attachment URLs), so nothing has to be configured.
CREATE TABLE installation_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
