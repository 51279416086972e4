-- Automation rules (issue: agent workflow): rules an account's administrators write, run by a
-- reader of the event log; each run is recorded once per rule and event (the unique key makes
-- a rule's actions happen at most once per event, even when the reader reads twice).
CREATE TABLE automation_rules (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- conversation_created, conversation_updated, conversation_resolved, message_created
    event_name TEXT NOT NULL,
    conditions JSONB NOT NULL,
    actions JSONB NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The reader loads an account's active rules for each batch.
CREATE INDEX automation_rules_account_idx ON automation_rules (account_id, id);

CREATE TABLE automation_rule_runs (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    rule_id BIGINT NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    -- The log event that triggered the run.
    seq BIGINT NOT NULL,
    event_name TEXT NOT NULL,
    -- The conversation's display id.
    conversation_id BIGINT,
    -- How many automation steps led to the triggering event (0: a person or a channel).
    depth SMALLINT NOT NULL DEFAULT 0,
    conditions JSONB NOT NULL,
    actions JSONB NOT NULL,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (rule_id, seq)
);
CREATE INDEX automation_rule_runs_list_idx ON automation_rule_runs (rule_id, id DESC);

-- `send_webhook_event` goes out through the webhook deliveries: each rule's URLs are endpoints
-- of their own, which no event subscribes to and which the webhook API does not list.
ALTER TABLE webhooks ADD COLUMN automation_rule_id BIGINT REFERENCES automation_rules (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX webhooks_automation_url_idx ON webhooks (automation_rule_id, url) WHERE automation_rule_id IS NOT NULL;

-- Files uploaded ahead of the message that will carry them (`send_attachment` actions,
-- scheduled messages): in storage under `storage_key`, copied onto each message that sends them.
CREATE TABLE uploads (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    storage_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX uploads_account_idx ON uploads (account_id, id);

-- `mute_conversation`: a muted conversation stays resolved when its contact writes again.
ALTER TABLE conversations ADD COLUMN muted BOOLEAN NOT NULL DEFAULT false;

-- Custom attributes hold whatever was written before their definition: the typed filters read
-- them through casts that give NULL (no match) instead of an error.
CREATE FUNCTION sb_try_float(v TEXT) RETURNS DOUBLE PRECISION LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN v::double precision;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
CREATE FUNCTION sb_try_timestamptz(v TEXT) RETURNS TIMESTAMPTZ LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN v::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
CREATE FUNCTION sb_try_bool(v TEXT) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN v::boolean;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
