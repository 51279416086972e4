-- Integrator APIs (issue 14): an account's slug names it to integrators, and its API keys (stored
-- as digests, shown once) authenticate them.
ALTER TABLE accounts ADD COLUMN slug TEXT;
ALTER TABLE accounts ADD CONSTRAINT accounts_slug_key UNIQUE (slug);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- SHA-256 of the key: a database leak yields no usable key.
    key_digest TEXT NOT NULL UNIQUE,
    -- The key's last four characters, to tell keys apart in lists.
    last_four TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_account_idx ON api_keys (account_id, id);

-- The conversations-list API pages through every conversation of an account, latest activity
-- first, whatever their status.
CREATE INDEX conversations_account_activity_idx ON conversations (account_id, last_activity_at DESC, id DESC);
