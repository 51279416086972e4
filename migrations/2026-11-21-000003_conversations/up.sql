-- Conversations and messages (issue: the inbox).

-- Per-account counters. A conversation's display_id comes from here, incremented in the same
-- transaction as the insert: the row lock orders concurrent creates, and a rollback gives the
-- number back, so ids have neither gaps nor duplicates.
CREATE TABLE account_counters (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_conversation_display_id BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    display_id BIGINT NOT NULL,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    contact_inbox_id BIGINT REFERENCES contact_inboxes (id) ON DELETE SET NULL,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'pending', 'snoozed')),
    priority TEXT CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    group_type TEXT NOT NULL DEFAULT 'individual' CHECK (group_type IN ('individual', 'group')),
    snoozed_until TIMESTAMPTZ,
    labels TEXT[] NOT NULL DEFAULT '{}',
    uuid TEXT NOT NULL,
    additional_attributes JSONB NOT NULL DEFAULT '{}',
    custom_attributes JSONB NOT NULL DEFAULT '{}',
    last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    waiting_since TIMESTAMPTZ,
    first_reply_created_at TIMESTAMPTZ,
    agent_last_seen_at TIMESTAMPTZ,
    assignee_last_seen_at TIMESTAMPTZ,
    contact_last_seen_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, display_id)
);
-- The inbox view: newest activity first, per status, for the whole account or per inbox.
CREATE INDEX conversations_account_status_activity_idx ON conversations (account_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_inbox_status_activity_idx ON conversations (inbox_id, status, last_activity_at DESC, id DESC);
-- The four meta counts read only these columns (index-only scans).
CREATE INDEX conversations_account_status_assignee_idx ON conversations (account_id, status, assignee_id, inbox_id);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, id);
CREATE INDEX conversations_team_idx ON conversations (team_id) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_labels_idx ON conversations USING gin (labels);
CREATE INDEX conversations_snoozed_idx ON conversations (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- 0 incoming, 1 outgoing, 2 activity, 3 template (the reference's integers).
    message_type SMALLINT NOT NULL CHECK (message_type BETWEEN 0 AND 3),
    content TEXT,
    content_type TEXT NOT NULL DEFAULT 'text',
    content_attributes JSONB NOT NULL DEFAULT '{}',
    additional_attributes JSONB NOT NULL DEFAULT '{}',
    private BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    source_id TEXT,
    sender_type TEXT CHECK (sender_type IN ('contact', 'user', 'agent_bot')),
    sender_id BIGINT,
    external_error TEXT,
    echo_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Paging a conversation's messages by id, newest first.
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
-- Channel message ids are unique per inbox: duplicate deliveries become no-ops.
CREATE UNIQUE INDEX messages_inbox_source_key ON messages (inbox_id, source_id) WHERE source_id IS NOT NULL;
-- `q` on the conversation list searches message content.
CREATE INDEX messages_content_trgm_idx ON messages USING gin (content gin_trgm_ops);
