-- Canned responses (issue: agent workflow): saved replies an agent inserts by short code.
-- short_code is unique per account, whatever its case.
CREATE TABLE canned_responses (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    short_code TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_responses_short_code_key ON canned_responses (account_id, lower(short_code));
