-- Agent bots (issue: events out). A bot is an outside program that answers conversations: it
-- hears its inboxes' events at its outgoing_url, through the same delivery machinery as
-- webhooks, and answers through the REST API with its own access token.

-- account_id NULL: a system bot, made by a platform app, that any account may put on an inbox.
-- access_token is shown back to administrators as the reference does (like users' and platform
-- apps' tokens); secret signs its deliveries.
CREATE TABLE agent_bots (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    outgoing_url TEXT,
    bot_type TEXT NOT NULL DEFAULT 'webhook',
    bot_config JSONB NOT NULL DEFAULT '{}',
    avatar_url TEXT,
    access_token TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX agent_bots_account_idx ON agent_bots (account_id);

-- The bot that answers an inbox's conversations first (one at most, as in the reference).
CREATE TABLE agent_bot_inboxes (
    inbox_id BIGINT PRIMARY KEY REFERENCES inboxes (id) ON DELETE CASCADE,
    agent_bot_id BIGINT NOT NULL REFERENCES agent_bots (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX agent_bot_inboxes_bot_idx ON agent_bot_inboxes (agent_bot_id, account_id);

-- A bot's endpoint for one inbox is a webhooks row with inbox_id and agent_bot_id, kept in step
-- with the inbox's bot and the bot's outgoing_url: its deliveries get the same guarantees.
ALTER TABLE webhooks ADD COLUMN agent_bot_id BIGINT REFERENCES agent_bots (id) ON DELETE CASCADE;
DROP INDEX webhooks_inbox_idx;
CREATE UNIQUE INDEX webhooks_inbox_idx ON webhooks (inbox_id) WHERE inbox_id IS NOT NULL AND agent_bot_id IS NULL;
CREATE UNIQUE INDEX webhooks_inbox_bot_idx ON webhooks (inbox_id) WHERE agent_bot_id IS NOT NULL;
CREATE INDEX webhooks_agent_bot_idx ON webhooks (agent_bot_id) WHERE agent_bot_id IS NOT NULL;

-- Platform apps manage the bots they made.
ALTER TABLE platform_app_permissibles DROP CONSTRAINT platform_app_permissibles_permissible_type_check;
ALTER TABLE platform_app_permissibles ADD CONSTRAINT platform_app_permissibles_permissible_type_check
    CHECK (permissible_type IN ('account', 'user', 'agent_bot'));
