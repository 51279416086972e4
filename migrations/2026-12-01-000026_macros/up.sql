-- Macros (issue: agent workflow): a named list of automation actions, a user's own
-- (personal) or the account's (global), applied to conversations on demand.
CREATE TABLE macros (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- personal or global
    visibility TEXT NOT NULL,
    created_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actions JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX macros_account_idx ON macros (account_id, id);

-- A macro's send_webhook_event URLs are endpoints of their own, as a rule's are. Each
-- execution is numbered from this sequence: the delivery's key for its endpoint.
ALTER TABLE webhooks ADD COLUMN macro_id BIGINT REFERENCES macros (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX webhooks_macro_url_idx ON webhooks (macro_id, url) WHERE macro_id IS NOT NULL;
CREATE SEQUENCE macro_executions;
