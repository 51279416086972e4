-- CSAT (issue: the customer's side). Resolving a conversation of an inbox with
-- csat_survey_enabled sends an input_csat message; the contact's answer is one row per survey
-- message (message_id is unique), so each resolution gets at most one rating and a second
-- answer updates it.
CREATE TABLE csat_survey_responses (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- Who had the conversation when it was resolved.
    assigned_agent_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    feedback_message TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX csat_survey_responses_account_idx ON csat_survey_responses (account_id, created_at DESC);
-- Surveys sent, for the response rate: input_csat messages by account and time.
CREATE INDEX messages_csat_idx ON messages (account_id, created_at) WHERE content_type = 'input_csat';
-- The survey page finds its conversation by uuid.
CREATE INDEX conversations_uuid_idx ON conversations (uuid);
