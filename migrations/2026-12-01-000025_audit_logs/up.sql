-- Audit logs (issue: agent workflow): who changed what in an account, written in the change's
-- own transaction. Entries are never edited: the API has no route to, and the database
-- refuses an UPDATE. They go with their account.
CREATE TABLE audit_logs (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- User, AccountUser, Inbox, Team, Label, Webhook, AutomationRule, Macro, AccessToken
    auditable_type TEXT NOT NULL,
    auditable_id BIGINT,
    -- create, update, destroy, sign_in, sign_in_failed
    action TEXT NOT NULL,
    user_id BIGINT,
    user_type TEXT,
    username TEXT,
    audited_changes JSONB NOT NULL DEFAULT '{}',
    remote_address TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_account_idx ON audit_logs (account_id, id DESC);

CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log entries are never edited';
END $$;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
