-- WhatsApp groups: our number left the group, or was removed from it, in this inbox (issue 13).
-- Sends to it are refused and syncs skip it until the number is added back.
ALTER TABLE contact_inboxes ADD COLUMN group_left_at TIMESTAMPTZ;
