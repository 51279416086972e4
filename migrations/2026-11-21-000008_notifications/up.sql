-- A user's notifications, as the reference keeps them: a conversation assigned to them, or a
-- private note mentioning them. The conversation is the primary actor; the secondary actor is
-- the user who assigned or the message that mentioned.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    secondary_actor_type TEXT,
    secondary_actor_id BIGINT,
    read_at TIMESTAMPTZ,
    snoozed_until TIMESTAMPTZ,
    last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The user's list, newest activity first, and its unread count.
CREATE INDEX notifications_user_activity_idx ON notifications (account_id, user_id, last_activity_at DESC, id DESC);
CREATE INDEX notifications_user_unread_idx ON notifications (account_id, user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_conversation_idx ON notifications (conversation_id);
