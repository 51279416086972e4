DROP TABLE send_slots;
DROP TABLE jobs;
DROP TABLE message_templates;
DROP INDEX conversations_contact_inbox_idx;
DROP INDEX messages_incoming_idx;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('sent', 'delivered', 'read', 'failed'));
ALTER TABLE inboxes DROP COLUMN message_templates_synced_at, DROP COLUMN webhook_token, DROP COLUMN provider_config,
    DROP COLUMN provider, DROP COLUMN phone_number;
