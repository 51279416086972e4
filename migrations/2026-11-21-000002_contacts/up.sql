-- Contacts and their per-inbox identities (issue: the inbox).

-- Trigram indexes make `q` searches (ILIKE '%word%') index scans instead of table scans.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    email TEXT,
    phone_number TEXT,
    identifier TEXT,
    thumbnail TEXT NOT NULL DEFAULT '',
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    group_type TEXT NOT NULL DEFAULT 'individual' CHECK (group_type IN ('individual', 'group')),
    additional_attributes JSONB NOT NULL DEFAULT '{}',
    custom_attributes JSONB NOT NULL DEFAULT '{}',
    -- Contact labels are free tags in the reference; an array keeps reads to one row.
    labels TEXT[] NOT NULL DEFAULT '{}',
    last_activity_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_account_email_key ON contacts (account_id, lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_account_phone_key ON contacts (account_id, phone_number) WHERE phone_number IS NOT NULL;
CREATE UNIQUE INDEX contacts_account_identifier_key ON contacts (account_id, identifier) WHERE identifier IS NOT NULL;
-- One index per sort order of the contact list, each ending in id for a stable order.
CREATE INDEX contacts_account_name_idx ON contacts (account_id, name, id);
CREATE INDEX contacts_account_created_idx ON contacts (account_id, created_at, id);
CREATE INDEX contacts_account_activity_idx ON contacts (account_id, last_activity_at, id);
CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (
    (name || ' ' || coalesce(email, '') || ' ' || coalesce(phone_number, '') || ' ' || coalesce(identifier, '')) gin_trgm_ops
);
CREATE INDEX contacts_labels_idx ON contacts USING gin (labels);

CREATE TABLE contact_inboxes (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    -- The contact's id on the channel (a WhatsApp wa_id, an API client's own id).
    source_id TEXT NOT NULL,
    -- Lets the contact's widget or client subscribe to its own realtime events.
    pubsub_token TEXT NOT NULL UNIQUE,
    hmac_verified BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (inbox_id, source_id)
);
CREATE INDEX contact_inboxes_contact_idx ON contact_inboxes (contact_id, inbox_id);
