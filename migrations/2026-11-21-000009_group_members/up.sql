-- WhatsApp groups through a Baileys-style provider: who is in a group contact
-- (issue: live updates, contact.group_synced).
CREATE TABLE group_members (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    -- Members who left stay, inactive: their messages still name them.
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (group_contact_id, contact_id)
);
-- The member list reads a group's active members; deleting a contact finds its memberships.
CREATE INDEX group_members_active_idx ON group_members (group_contact_id, is_active);
CREATE INDEX group_members_contact_idx ON group_members (contact_id);
