-- Accounts, users and the account administration surface (issue: foundation).

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    domain TEXT,
    support_email TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    limits JSONB NOT NULL DEFAULT '{}',
    custom_attributes JSONB NOT NULL DEFAULT '{}',
    settings JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    display_name TEXT,
    email TEXT NOT NULL,
    -- NULL until the user has a password (agents added without one cannot sign in yet).
    password_hash TEXT,
    pubsub_token TEXT NOT NULL UNIQUE,
    access_token TEXT NOT NULL UNIQUE,
    message_signature TEXT,
    ui_settings JSONB NOT NULL DEFAULT '{}',
    custom_attributes JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Emails are unique regardless of case; sign-in looks users up through this index.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Dashboard sessions (devise_token_auth style): one row per client; only a hash of the token is kept.
CREATE TABLE user_sessions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, client)
);

CREATE TABLE platform_apps (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    access_token TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A platform app may only manage the accounts and users it created (as the reference does).
CREATE TABLE platform_app_permissibles (
    id BIGSERIAL PRIMARY KEY,
    platform_app_id BIGINT NOT NULL REFERENCES platform_apps (id) ON DELETE CASCADE,
    permissible_type TEXT NOT NULL CHECK (permissible_type IN ('account', 'user')),
    permissible_id BIGINT NOT NULL,
    UNIQUE (platform_app_id, permissible_type, permissible_id)
);

CREATE TABLE account_users (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('agent', 'administrator')),
    availability TEXT NOT NULL DEFAULT 'online' CHECK (availability IN ('online', 'busy', 'offline')),
    auto_offline BOOLEAN NOT NULL DEFAULT TRUE,
    inviter_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    active_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, user_id)
);
CREATE INDEX account_users_user_id_idx ON account_users (user_id);

-- Channel settings live on the inbox row: every inbox has exactly one channel, so a separate
-- polymorphic channel table would only add a join to every inbox read.
CREATE TABLE inboxes (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    channel_type TEXT NOT NULL CHECK (channel_type IN ('api', 'whatsapp')),
    inbox_identifier TEXT NOT NULL UNIQUE,
    webhook_url TEXT,
    hmac_token TEXT NOT NULL,
    hmac_mandatory BOOLEAN NOT NULL DEFAULT FALSE,
    secret TEXT NOT NULL,
    channel_attributes JSONB NOT NULL DEFAULT '{}',
    greeting_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    greeting_message TEXT,
    enable_email_collect BOOLEAN NOT NULL DEFAULT TRUE,
    csat_survey_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    enable_auto_assignment BOOLEAN NOT NULL DEFAULT TRUE,
    auto_assignment_config JSONB NOT NULL DEFAULT '{}',
    working_hours_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    working_hours JSONB NOT NULL DEFAULT '[]',
    out_of_office_message TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    allow_messages_after_resolved BOOLEAN NOT NULL DEFAULT TRUE,
    lock_to_single_conversation BOOLEAN NOT NULL DEFAULT FALSE,
    sender_name_type TEXT NOT NULL DEFAULT 'friendly' CHECK (sender_name_type IN ('friendly', 'professional')),
    business_name TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inboxes_account_id_idx ON inboxes (account_id, id);

CREATE TABLE inbox_members (
    id BIGSERIAL PRIMARY KEY,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (inbox_id, user_id)
);
-- "Which inboxes may this agent see" is asked on almost every agent request.
CREATE INDEX inbox_members_user_id_idx ON inbox_members (user_id, inbox_id);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    allow_auto_assign BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, name)
);

CREATE TABLE team_members (
    id BIGSERIAL PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (team_id, user_id)
);
CREATE INDEX team_members_user_id_idx ON team_members (user_id);

CREATE TABLE labels (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT,
    color TEXT NOT NULL DEFAULT '#1f93ff',
    show_on_sidebar BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, title)
);
